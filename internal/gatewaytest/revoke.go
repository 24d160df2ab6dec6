package gatewaytest

import (
	"fmt"
	"net/http"
	"strings"
)

// Revoke posts a revocation of user's tokens in org (user "": the whole
// org) to the node's POST /v2/realtime/disconnect and returns the
// revocation time it answered (unix seconds), which tests use to mint a
// token issued after it.
func (n *Node) Revoke(org, user string) (int64, error) {
	body := fmt.Sprintf(`{"org":%q,"user":%q,"reason":"removed from the org"}`, org, user)
	var out struct {
		RevokedAt int64 `json:"revokedAt"`
	}
	if err := n.post("/v2/realtime/disconnect", body, &out); err != nil || out.RevokedAt == 0 {
		return 0, fmt.Errorf("disconnect: answer %+v: %v", out, err)
	}
	return out.RevokedAt, nil
}

// post sends body to path with the API key and decodes a 200 answer into out.
func (n *Node) post(path, body string, out any) error {
	req, _ := http.NewRequest(http.MethodPost, n.URL(path), strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+APIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return jsonDecode(resp, out)
}
