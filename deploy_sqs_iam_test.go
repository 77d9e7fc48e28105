package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// sqsCalls returns the SQS operations the sqs source calls: every method
// called on a field named client in source/sqs.
func sqsCalls(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("source", "sqs", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]bool{}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
				if recv, ok := sel.X.(*ast.SelectorExpr); ok && recv.Sel.Name == "client" {
					calls[sel.Sel.Name] = true
				}
			}
			return true
		})
	}
	if len(calls) == 0 {
		t.Fatal("found no SQS call in source/sqs")
	}
	return calls
}

// iamActionOf is the IAM action that authorises an SQS operation: a batch
// call is authorised by its single action.
func iamActionOf(op string) string { return "sqs:" + strings.TrimSuffix(op, "Batch") }

var sqsAction = regexp.MustCompile(`"sqs:[A-Za-z]+"`)

// TestSQSPolicyMatchesTheCalls: the IAM policy of the README, of
// examples/genesys-eventbridge/main.tf and of its aws-cli.sh grants exactly
// the actions the sqs source's calls need, so that neither an AccessDenied
// nor a needless grant follows from the recipe.
func TestSQSPolicyMatchesTheCalls(t *testing.T) {
	want := map[string]bool{}
	for op := range sqsCalls(t) {
		want[iamActionOf(op)] = true
	}
	read := func(path string) string {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(raw)
	}
	// Each policy is the text from its marker to the end of its block.
	between := func(text, start, end string) string {
		i := strings.Index(text, start)
		if i < 0 {
			t.Fatalf("no %q", start)
		}
		j := strings.Index(text[i:], end)
		if j < 0 {
			t.Fatalf("no %q after %q", end, start)
		}
		return text[i : i+j]
	}
	for where, policy := range map[string]string{
		"README.md (the bridge's IAM policy)": between(read("README.md"), `"Sid": "ReadTheQueue"`, "```"),
		"examples/genesys-eventbridge/main.tf": between(read(filepath.Join("examples", "genesys-eventbridge", "main.tf")),
			`data "aws_iam_policy_document" "bridge" {`, `dynamic "statement"`),
		"examples/genesys-eventbridge/aws-cli.sh": between(read(filepath.Join("examples", "genesys-eventbridge", "aws-cli.sh")),
			`"Sid":"ReadTheQueue"`, "\n"),
	} {
		got := map[string]bool{}
		for _, a := range sqsAction.FindAllString(policy, -1) {
			got[strings.Trim(a, `"`)] = true
		}
		if !maps.Equal(got, want) {
			t.Errorf("%s grants %v; the sqs source calls need %v", where, slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
		}
	}
}
