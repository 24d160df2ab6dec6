package charts

import (
	"path"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// The uploads volume: cmd/gateway writes uploads under REALTIME_UPLOAD_DIR
// (cmd/gateway/uploads.go), and any pod may continue an upload another
// pod started, so every pod must mount the same claim read-write there.

// fsGroupNonroot is distroless's nonroot group, which the chart gives the
// uploads volume.
const fsGroupNonroot = 65532

// uploadsVolume returns the pod volume mounted at REALTIME_UPLOAD_DIR and
// its mount; it fails the test when the two do not line up.
func uploadsVolume(t *testing.T, m manifest) (corev1.Volume, corev1.VolumeMount) {
	t.Helper()
	c := m.gateway(t)
	dir := env(c)["REALTIME_UPLOAD_DIR"].Value
	var mounts []corev1.VolumeMount
	for _, vm := range c.VolumeMounts {
		if path.Clean(vm.MountPath) == path.Clean(dir) {
			mounts = append(mounts, vm)
		}
	}
	if len(mounts) != 1 {
		t.Fatalf("REALTIME_UPLOAD_DIR=%q: %d volume mounts there, want 1 (mounts %+v)", dir, len(mounts), c.VolumeMounts)
	}
	for _, v := range m.deployment.Spec.Template.Spec.Volumes {
		if v.Name == mounts[0].Name {
			return v, mounts[0]
		}
	}
	t.Fatalf("volume mount %q names no pod volume", mounts[0].Name)
	return corev1.Volume{}, corev1.VolumeMount{}
}

// mayRunPods is the most gateway pods the rendering may run at once,
// rolling-update surges aside.
func mayRunPods(m manifest) int32 {
	if m.hpa != nil {
		return m.hpa.Spec.MaxReplicas
	}
	if r := m.deployment.Spec.Replicas; r != nil {
		return *r
	}
	return 1 // the Kubernetes default
}

// checkUploadsVolume runs on every rendering: without REALTIME_UPLOAD_DIR
// nothing of uploads is rendered; with it, the directory is a writable
// mount of the rendered claim (or the existing one), shared by every pod,
// and the pod's fsGroup lets the nonroot user write to it.
func checkUploadsVolume(t *testing.T, m manifest) {
	c := m.gateway(t)
	pod := m.deployment.Spec.Template.Spec
	if _, ok := env(c)["REALTIME_UPLOAD_DIR"]; !ok {
		for name := range env(c) {
			if strings.HasPrefix(name, "REALTIME_UPLOAD_") {
				t.Errorf("%s set without REALTIME_UPLOAD_DIR: uploads are off, the setting does nothing", name)
			}
		}
		if len(pod.Volumes) != 0 || len(c.VolumeMounts) != 0 || m.pvc != nil {
			t.Errorf("uploads off, yet volumes %+v, mounts %+v, claim %v", pod.Volumes, c.VolumeMounts, m.pvc != nil)
		}
		return
	}
	vol, mount := uploadsVolume(t, m)
	if mount.ReadOnly {
		t.Error("uploads mount is read-only; the gateway writes there")
	}
	if !path.IsAbs(mount.MountPath) || path.Clean(mount.MountPath) == "/" {
		t.Errorf("uploads mountPath %q: want an absolute directory below /", mount.MountPath)
	}
	if vol.PersistentVolumeClaim == nil {
		t.Fatalf("uploads volume %+v is not a PersistentVolumeClaim: pods would not share it", vol.VolumeSource)
	}
	claim := vol.PersistentVolumeClaim.ClaimName
	if existing := lookup(m, "uploads.persistence.existingClaim"); existing != "" {
		if claim != existing || m.pvc != nil {
			t.Errorf("existingClaim %q: pods mount %q, chart claim rendered: %v", existing, claim, m.pvc != nil)
		}
	} else {
		if m.pvc == nil || m.pvc.Name != claim {
			t.Fatalf("pods mount claim %q, which the chart does not render", claim)
		}
		if n := mayRunPods(m); n > 1 && !slices.Contains(m.pvc.Spec.AccessModes, corev1.ReadWriteMany) {
			t.Errorf("up to %d pods, claim access modes %v: every pod must mount the volume (ReadWriteMany)", n, m.pvc.Spec.AccessModes)
		}
	}
	if sc := pod.SecurityContext; sc == nil || sc.FSGroup == nil {
		t.Error("uploads volume without an fsGroup: the nonroot user cannot write to a fresh volume")
	}
}

// uploadsValues enables uploads on top of minimalValues.
func uploadsValues(uploads kv) map[string]any {
	u := kv{"enabled": true}
	for k, v := range uploads {
		u[k] = v
	}
	return with(kv{"uploads": u})
}

// checkUploadsDefault checks uploads.enabled with the default persistence
// and every tuning key set.
func checkUploadsDefault(t *testing.T, m manifest) {
	c := m.gateway(t)
	wantEnv(t, m, "REALTIME_UPLOAD_DIR", "/var/lib/realtime/uploads")
	for name, want := range map[string]string{
		"REALTIME_UPLOAD_MAX_BYTES":     "52428800",
		"REALTIME_UPLOAD_CONTENT_TYPES": "application/pdf,image/*",
		"REALTIME_UPLOAD_MAX_PER_USER":  "-1",
		"REALTIME_UPLOAD_MAX_ACTIVE":    "64",
		"REALTIME_UPLOAD_EXPIRY":        "30m",
		"REALTIME_UPLOAD_CHUNK_BYTES":   "524288",
		"REALTIME_UPLOAD_BUFFER_BYTES":  "2097152",
	} {
		wantEnv(t, m, name, want)
	}
	_, mount := uploadsVolume(t, m)
	if mount.MountPath != "/var/lib/realtime/uploads" {
		t.Errorf("mountPath %q", mount.MountPath)
	}
	if sc := c.SecurityContext; sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Error("the root filesystem must stay read-only with uploads")
	}
	psc := m.deployment.Spec.Template.Spec.SecurityContext
	if psc.FSGroup == nil || *psc.FSGroup != fsGroupNonroot {
		t.Errorf("fsGroup %v, want %d", psc.FSGroup, fsGroupNonroot)
	}
	if p := psc.FSGroupChangePolicy; p == nil || *p != corev1.FSGroupChangeOnRootMismatch {
		t.Errorf("fsGroupChangePolicy %v, want OnRootMismatch (no recursive chown of every document at each start)", p)
	}
	if psc.RunAsUser == nil || *psc.RunAsUser != 65532 || psc.SeccompProfile == nil {
		t.Errorf("podSecurityContext %+v lost the values' settings", psc)
	}
	pvc := m.pvc
	if pvc.Name != "rt-realtime-gateway-uploads" {
		t.Errorf("claim name %q", pvc.Name)
	}
	if !slices.Equal(pvc.Spec.AccessModes, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}) {
		t.Errorf("access modes %v, want [ReadWriteMany]", pvc.Spec.AccessModes)
	}
	if q := pvc.Spec.Resources.Requests.Storage().String(); q != "20Gi" {
		t.Errorf("storage request %s, want 20Gi", q)
	}
	if pvc.Spec.StorageClassName != nil {
		t.Errorf("storageClassName %q: empty storageClass must leave it to the cluster default", *pvc.Spec.StorageClassName)
	}
	if pvc.Annotations["helm.sh/resource-policy"] != "keep" {
		t.Errorf("claim annotations %v: want helm.sh/resource-policy: keep so helm uninstall keeps the documents", pvc.Annotations)
	}
	if want := "on PersistentVolumeClaim " + pvc.Name + " (kept by `helm uninstall`"; !strings.Contains(m.notes, want) {
		t.Errorf("NOTES.txt lacks %q", want)
	}
}

// checkUploadsExistingClaim checks that an existing claim is mounted and
// none rendered, whatever its (trusted) access modes say.
func checkUploadsExistingClaim(t *testing.T, m manifest) {
	wantEnv(t, m, "REALTIME_UPLOAD_DIR", "/data/uploads")
	vol, _ := uploadsVolume(t, m)
	if vol.PersistentVolumeClaim.ClaimName != "shared-documents" {
		t.Errorf("claim %q, want shared-documents", vol.PersistentVolumeClaim.ClaimName)
	}
	if m.pvc != nil {
		t.Error("a claim rendered beside existingClaim")
	}
	for name := range env(m.gateway(t)) {
		if strings.HasPrefix(name, "REALTIME_UPLOAD_") && name != "REALTIME_UPLOAD_DIR" {
			t.Errorf("%s set though every tuning key is empty", name)
		}
	}
	if g := m.deployment.Spec.Template.Spec.SecurityContext.FSGroup; g == nil || *g != 1000 {
		t.Errorf("fsGroup %v, want podSecurityContext's 1000 to win", g)
	}
}

// checkUploadsSingleReplica checks a ReadWriteOnce claim for one replica
// bound to a pre-created volume, without resource-policy keep.
func checkUploadsSingleReplica(t *testing.T, m manifest) {
	pvc := m.pvc
	if sc := pvc.Spec.StorageClassName; sc == nil || *sc != "" {
		t.Errorf("storageClassName %v, want \"\" for storageClass \"-\"", sc)
	}
	if !slices.Equal(pvc.Spec.AccessModes, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}) {
		t.Errorf("access modes %v", pvc.Spec.AccessModes)
	}
	if _, ok := pvc.Annotations["helm.sh/resource-policy"]; ok || pvc.Annotations["example.com/backup"] != "daily" {
		t.Errorf("annotations %v: want only the user's with keep: false", pvc.Annotations)
	}
	if q := pvc.Spec.Resources.Requests.Storage().String(); q != "5Gi" {
		t.Errorf("storage request %s, want 5Gi", q)
	}
}
