package durability

import (
	"strings"
	"testing"
)

func TestJudgeTopic(t *testing.T) {
	yes, no := true, false
	for _, c := range []struct {
		name    string
		s       TopicSettings
		warning bool
		says    []string
	}{
		{"recommended", TopicSettings{"t", 3, 2, &no}, false, []string{"replication factor 3", "min.insync.replicas=2", "unclean.leader.election.enable=false"}},
		{"five replicas, three in sync", TopicSettings{"t", 5, 3, &no}, false, nil},
		{"unclean not reported", TopicSettings{"t", 3, 2, nil}, false, []string{"not reported (Kafka's default: false)"}},
		{"one replica", TopicSettings{"t", 1, 1, &no}, true, []string{"1 replica(s)", "min.insync.replicas=1"}},
		{"two replicas", TopicSettings{"t", 2, 1, &no}, true, []string{"2 replica(s)", "use at least 3"}},
		{"min ISR 1", TopicSettings{"t", 3, 1, &no}, true, []string{"min.insync.replicas=1: a write is acknowledged once 1 replica holds it"}},
		{"min ISR equals RF", TopicSettings{"t", 3, 3, &no}, true, []string{"one broker down stops every write"}},
		{"unclean election", TopicSettings{"t", 3, 2, &yes}, true, []string{"set unclean.leader.election.enable=false"}},
		{"unknown min ISR", TopicSettings{"t", 3, -1, &no}, true, []string{"min.insync.replicas=unknown", "could not be read"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := JudgeTopic(c.s)
			if f.Warning != c.warning || f.Subject != "topic t" {
				t.Errorf("%+v: warning %v, want %v", f, f.Warning, c.warning)
			}
			for _, s := range c.says {
				if !strings.Contains(f.Detail, s) {
					t.Errorf("detail %q lacks %q", f.Detail, s)
				}
			}
			if !c.warning && strings.Contains(f.Detail, "not safe") {
				t.Errorf("detail %q warns", f.Detail)
			}
		})
	}
}

func TestJudgeTransactionLog(t *testing.T) {
	for _, c := range []struct {
		s       TransactionLogSettings
		warning bool
		says    string
	}{
		{TransactionLogSettings{3, 2, "broker configuration"}, false, "replication factor 3, min ISR 2 (broker configuration)"},
		{TransactionLogSettings{1, 1, "broker configuration"}, true, "transaction.state.log.replication.factor"},
		{TransactionLogSettings{3, 1, "__transaction_state"}, true, "transaction.state.log.min.isr=1"},
		{TransactionLogSettings{3, 3, "__transaction_state"}, true, "stops every write"},
		{TransactionLogSettings{-1, -1, "not reported by broker 0"}, true, "could not be read"},
	} {
		f := JudgeTransactionLog(c.s)
		if f.Warning != c.warning || !strings.Contains(f.Detail, c.says) || f.Subject != "transaction state log" {
			t.Errorf("%+v: %+v, want warning %v and %q", c.s, f, c.warning, c.says)
		}
	}
}
