package gateway

import "strconv"

// CloseCode is a WebSocket close status the gateway sends. The 4xxx values
// are part of the protocol that existing browser clients depend on
// (docs/PROTOCOL.md); never renumber them.
type CloseCode uint16

// Close codes, with the error code string that the preceding error frame
// carries.
const (
	CloseNormal           CloseCode = 1000
	CloseGoingAway        CloseCode = 1001
	CloseProtocolError    CloseCode = 1002
	CloseInvalidPayload   CloseCode = 1007
	CloseMessageTooBig    CloseCode = 1009
	CloseInternalError    CloseCode = 1011
	CloseServiceRestart   CloseCode = 1012
	CloseSlowConsumer     CloseCode = 4013
	CloseFallback         CloseCode = 4010
	CloseTooManyConns     CloseCode = 4029
	CloseUnauthorized     CloseCode = 4001
	CloseTokenExpired     CloseCode = 4002
	CloseForbidden        CloseCode = 4003
	CloseRevoked          CloseCode = 4009
	CloseBadHandshake     CloseCode = 4400
	CloseHandshakeTimeout CloseCode = 4408
)

// CloseHandshakeTimout is the old, misspelt name of CloseHandshakeTimeout.
//
// Deprecated: use CloseHandshakeTimeout.
const CloseHandshakeTimout = CloseHandshakeTimeout

// String returns the machine-readable error code sent in the error frame.
func (c CloseCode) String() string {
	switch c {
	case CloseNormal:
		return "normal"
	case CloseGoingAway:
		return "going_away"
	case CloseProtocolError:
		return "protocol_error"
	case CloseInvalidPayload:
		return "invalid_payload"
	case CloseMessageTooBig:
		return "message_too_big"
	case CloseInternalError:
		return "internal_error"
	case CloseServiceRestart:
		return "server_restarting"
	case CloseSlowConsumer:
		return "slow_consumer"
	case CloseFallback:
		return "fallback"
	case CloseTooManyConns:
		return "too_many_connections"
	case CloseUnauthorized:
		return "unauthorized"
	case CloseTokenExpired:
		return "token_expired"
	case CloseForbidden:
		return "service_not_allowed"
	case CloseRevoked:
		return "revoked"
	case CloseBadHandshake:
		return "bad_handshake"
	case CloseHandshakeTimeout:
		return "handshake_timeout"
	}
	return "close_" + strconv.Itoa(int(c))
}

// Disconnect is a decision to close a connection: the code and a short
// human-readable message. It implements error so that handshake and message
// handlers can simply return one.
type Disconnect struct {
	Code    CloseCode
	Message string
}

func (d *Disconnect) Error() string { return d.Code.String() + ": " + d.Message }

func disconnect(code CloseCode, msg string) *Disconnect {
	return &Disconnect{Code: code, Message: msg}
}
