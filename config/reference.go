package config

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
)

// Groups of the configuration reference, in the order it shows them.
const (
	GroupCommon   = "common"
	GroupAdvanced = "advanced"
)

// Markers around the generated reference in the README.
const (
	ReferenceBegin = "<!-- BEGIN configuration reference: generated from config.Env by `go run ./config/cmd/docgen`; do not edit -->"
	ReferenceEnd   = "<!-- END configuration reference -->"
)

// Variable is one environment variable as Env's struct tags describe it:
// envconfig (the name), default or defaultdoc (a default derived at run
// time), group, type, range (what Validate accepts; after ";", the
// variables it is checked against), applies (the source or mode that reads
// it) and desc.
type Variable struct {
	Name, Type, Default, DefaultDoc, Range, Applies, Group, Meaning string
}

// Variables lists every variable of Env in declaration order.
func Variables() []Variable {
	t := reflect.TypeFor[Env]()
	out := make([]Variable, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		tag := t.Field(i).Tag
		out = append(out, Variable{
			Name: tag.Get("envconfig"), Type: tag.Get("type"), Default: tag.Get("default"), DefaultDoc: tag.Get("defaultdoc"),
			Range: tag.Get("range"), Applies: tag.Get("applies"), Group: tag.Get("group"), Meaning: tag.Get("desc"),
		})
	}
	return out
}

// Reference is the README's configuration reference: one table per group.
func Reference() string {
	var b strings.Builder
	for _, g := range []struct{ group, title string }{
		{GroupCommon, "Common"},
		{GroupAdvanced, "Advanced"},
	} {
		fmt.Fprintf(&b, "\n#### %s\n\n| Variable | Type | Default | Range | Applies to | Meaning |\n|---|---|---|---|---|---|\n", g.title)
		for _, v := range Variables() {
			if v.Group != g.group {
				continue
			}
			def := v.DefaultDoc
			if v.Default != "" {
				def = "`" + v.Default + "`"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s |\n", v.Name, cell(v.Type), cellKeepTicks(def), code(v.Range), cell(v.Applies), cell(v.Meaning))
		}
	}
	return b.String()
}

// UpdateReference replaces what lies between the markers in doc with
// Reference.
func UpdateReference(doc []byte) ([]byte, error) {
	begin := bytes.Index(doc, []byte(ReferenceBegin))
	end := bytes.Index(doc, []byte(ReferenceEnd))
	if begin < 0 || end < begin {
		return nil, fmt.Errorf("the markers %q and %q are not both there, in that order", ReferenceBegin, ReferenceEnd)
	}
	var out bytes.Buffer
	out.Write(doc[:begin+len(ReferenceBegin)])
	out.WriteString("\n" + Reference() + "\n")
	out.Write(doc[end:])
	return out.Bytes(), nil
}

// cell escapes what Markdown would read as a column break or an HTML tag.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "<", `\<`).Replace(s)
}

// cellKeepTicks is cell for text that may hold code spans, where a
// backslash would show.
func cellKeepTicks(s string) string {
	if strings.HasPrefix(s, "`") {
		return s
	}
	return cell(s)
}

// code shows a range as code, its cross-checks after ";" as text.
func code(r string) string {
	if r == "" {
		return ""
	}
	own, cross, _ := strings.Cut(r, ";")
	s := "`" + strings.TrimSpace(own) + "`"
	if cross = strings.TrimSpace(cross); cross != "" {
		s += "; " + cell(cross)
	}
	return s
}
