package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
)

// The pod against Pod Security "restricted".
// restrictedViolations lists what Pod Security "restricted" (and the
// baseline it includes) rejects in a pod spec.
func restrictedViolations(spec map[string]any) []string {
	var out []string
	bad := func(format string, a ...any) { out = append(out, fmt.Sprintf(format, a...)) }
	for _, k := range []string{"hostNetwork", "hostPID", "hostIPC"} {
		if spec[k] == true {
			bad("%s", k)
		}
	}
	allowedVolumes := []string{"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"}
	for _, v := range asList(spec["volumes"]) {
		for k := range asMap(v) {
			if k != "name" && !slices.Contains(allowedVolumes, k) {
				bad("volume %v of type %s", asMap(v)["name"], k)
			}
		}
	}
	pod := asMap(spec["securityContext"])
	if len(asList(pod["sysctls"])) > 0 {
		bad("pod sysctls (only the safe set is allowed; none is needed)")
	}
	seccomp := func(sc map[string]any) string { s, _ := asMap(sc["seccompProfile"])["type"].(string); return s }
	checkCommon := func(who string, sc map[string]any) {
		if sc["runAsUser"] == 0 {
			bad("%s: runAsUser 0", who)
		}
		if sc["runAsNonRoot"] == false {
			bad("%s: runAsNonRoot false", who)
		}
		if s := seccomp(sc); s != "" && s != "RuntimeDefault" && s != "Localhost" {
			bad("%s: seccompProfile %s", who, s)
		}
		if asMap(sc["appArmorProfile"])["type"] == "Unconfined" {
			bad("%s: appArmorProfile Unconfined", who)
		}
		se := asMap(sc["seLinuxOptions"])
		if typ, _ := se["type"].(string); se["user"] != nil || se["role"] != nil ||
			!slices.Contains([]string{"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}, typ) {
			bad("%s: seLinuxOptions %v", who, se)
		}
		if asMap(sc["windowsOptions"])["hostProcess"] == true {
			bad("%s: hostProcess", who)
		}
	}
	checkCommon("pod", pod)
	for _, kind := range []string{"initContainers", "containers", "ephemeralContainers"} {
		for _, c := range asList(spec[kind]) {
			c := asMap(c)
			who := fmt.Sprintf("%s %v", kind, c["name"])
			sc := asMap(c["securityContext"])
			checkCommon(who, sc)
			if sc["privileged"] == true {
				bad("%s: privileged", who)
			}
			if sc["allowPrivilegeEscalation"] != false {
				bad("%s: allowPrivilegeEscalation must be false", who)
			}
			if pod["runAsNonRoot"] != true && sc["runAsNonRoot"] != true {
				bad("%s: runAsNonRoot must be true (pod or container)", who)
			}
			if s := seccomp(pod); s == "" && seccomp(sc) == "" {
				bad("%s: seccompProfile RuntimeDefault or Localhost must be set (pod or container)", who)
			}
			if p, _ := sc["procMount"].(string); p != "" && p != "Default" {
				bad("%s: procMount %s", who, p)
			}
			caps := asMap(sc["capabilities"])
			if !slices.Contains(asList(caps["drop"]), any("ALL")) {
				bad("%s: capabilities must drop ALL", who)
			}
			for _, a := range asList(caps["add"]) {
				if a != "NET_BIND_SERVICE" {
					bad("%s: adds capability %v", who, a)
				}
			}
			for _, p := range asList(c["ports"]) {
				if hp, ok := asMap(p)["hostPort"]; ok && hp != 0 {
					bad("%s: hostPort %v", who, hp)
				}
			}
		}
	}
	return out
}

// TestPodSecurityRestricted: the Deployment's pod passes Pod Security
// "restricted"; the same checker rejects each way of breaking it.
func TestPodSecurityRestricted(t *testing.T) {
	docs := manifests(t, filepath.Join("deploy", "kubernetes"))
	spec := podSpec(t, docs)
	for _, v := range restrictedViolations(spec) {
		t.Errorf("Pod Security restricted rejects the pod: %s", v)
	}
	if got := dig(t, spec, "securityContext", "seccompProfile", "type"); got != "RuntimeDefault" {
		t.Errorf("pod seccompProfile %v, want RuntimeDefault", got)
	}
	// The checker can fail: each mutation of a fresh copy must be caught.
	for name, breakIt := range map[string]func(spec map[string]any){
		"no seccomp": func(s map[string]any) { delete(asMap(s["securityContext"]), "seccompProfile") },
		"unconfined": func(s map[string]any) {
			asMap(s["securityContext"])["seccompProfile"] = map[string]any{"type": "Unconfined"}
		},
		"root":       func(s map[string]any) { asMap(s["securityContext"])["runAsUser"] = 0 },
		"escalation": func(s map[string]any) { container(s)["allowPrivilegeEscalation"] = true },
		"capability": func(s map[string]any) { asMap(container(s)["capabilities"])["add"] = []any{"NET_ADMIN"} },
		"hostPath": func(s map[string]any) {
			s["volumes"] = append(asList(s["volumes"]), map[string]any{"name": "h", "hostPath": map[string]any{}})
		},
		"hostNetwork":    func(s map[string]any) { s["hostNetwork"] = true },
		"privileged":     func(s map[string]any) { container(s)["privileged"] = true },
		"no drop ALL":    func(s map[string]any) { delete(asMap(container(s)["capabilities"]), "drop") },
		"non-root unset": func(s map[string]any) { delete(asMap(s["securityContext"]), "runAsNonRoot") },
	} {
		fresh := podSpec(t, manifests(t, filepath.Join("deploy", "kubernetes")))
		breakIt(fresh)
		if len(restrictedViolations(fresh)) == 0 {
			t.Errorf("%s: the restricted check accepted it", name)
		}
	}
}

func container(spec map[string]any) map[string]any {
	return asMap(asMap(asList(spec["containers"])[0])["securityContext"])
}
