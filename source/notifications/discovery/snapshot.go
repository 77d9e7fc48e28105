package discovery

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// snapshotBody is what discovery reads of a queue conversation snapshot:
// platformclientv2 QueueConversationEventTopicConversation, and the media
// variants' bodies (QueueConversationCallEventTopicCallConversation, ...),
// whose participants carry startTime and state instead of
// communications. Times are read as strings so that one odd time does not
// make the whole snapshot unreadable.
type snapshotBody struct {
	ID           string                `json:"id"`
	Participants []snapshotParticipant `json:"participants"`
}

type snapshotParticipant struct {
	StartTime      string          `json:"startTime"`
	ConnectedTime  string          `json:"connectedTime"`
	EndTime        string          `json:"endTime"`
	State          string          `json:"state"` // media variants only
	WrapupRequired bool            `json:"wrapupRequired"`
	WrapupSkipped  bool            `json:"wrapupSkipped"`
	Wrapup         json.RawMessage `json:"wrapup"`
	EndAcwTime     string          `json:"endAcwTime"`
	// The participant's communications, by media (the generic topic only).
	Calls             []communication `json:"calls"`
	Callbacks         []communication `json:"callbacks"`
	Chats             []communication `json:"chats"`
	Cobrowsesessions  []communication `json:"cobrowsesessions"`
	Emails            []communication `json:"emails"`
	Messages          []communication `json:"messages"`
	Screenshares      []communication `json:"screenshares"`
	SocialExpressions []communication `json:"socialExpressions"`
	Videos            []communication `json:"videos"`
}

// communication is one of a participant's calls, chats, ...
type communication struct {
	State         string          `json:"state"`
	ConnectedTime string          `json:"connectedTime"`
	Wrapup        json.RawMessage `json:"wrapup"`
	AfterCallWork *struct {
		State   string `json:"state"`
		EndTime string `json:"endTime"`
	} `json:"afterCallWork"`
}

// snapshot is what a snapshot says about its conversation.
type snapshot struct {
	id    string
	start time.Time // zero: no participant time in it
	over  bool
}

// errSnapshot is wrapped by every reason a snapshot body cannot be read.
var errSnapshot = errors.New("unreadable queue conversation snapshot")

// parseSnapshot reads a snapshot body.
func parseSnapshot(body []byte) (snapshot, error) {
	var b snapshotBody
	if err := json.Unmarshal(body, &b); err != nil {
		return snapshot{}, fmt.Errorf("%w: %w", errSnapshot, err)
	}
	if !validID(b.ID) {
		return snapshot{}, fmt.Errorf("%w: conversation id %q is not an id", errSnapshot, b.ID)
	}
	s := snapshot{id: b.ID, over: len(b.Participants) > 0}
	for i := range b.Participants {
		p := &b.Participants[i]
		for _, raw := range p.times() {
			if t, ok := parseTime(raw); ok && (s.start.IsZero() || t.Before(s.start)) {
				s.start = t
			}
		}
		if !p.ended() || !p.wrappedUp() {
			s.over = false
		}
	}
	return s, nil
}

// times are the participant's start times: its startTime and
// connectedTime, and its communications' connectedTimes.
func (p *snapshotParticipant) times() []string {
	out := []string{p.StartTime, p.ConnectedTime}
	for _, c := range p.communications() {
		out = append(out, c.ConnectedTime)
	}
	return out
}

func (p *snapshotParticipant) communications() []communication {
	var out []communication
	for _, cs := range [][]communication{p.Calls, p.Callbacks, p.Chats, p.Cobrowsesessions, p.Emails, p.Messages,
		p.Screenshares, p.SocialExpressions, p.Videos} {
		out = append(out, cs...)
	}
	return out
}

// ended: the participant has left the conversation: an endTime, a
// disconnected or terminated state, or (neither given) communications all
// disconnected.
func (p *snapshotParticipant) ended() bool {
	if p.EndTime != "" || finalState(p.State) {
		return true
	}
	cs := p.communications()
	if p.State != "" || len(cs) == 0 {
		return false
	}
	for _, c := range cs {
		if !finalState(c.State) {
			return false
		}
	}
	return true
}

// wrappedUp: the participant owes no after-call work.
func (p *snapshotParticipant) wrappedUp() bool {
	if !p.WrapupRequired || p.WrapupSkipped || present(p.Wrapup) || p.EndAcwTime != "" {
		return true
	}
	connected := p.ConnectedTime != ""
	for _, c := range p.communications() {
		connected = connected || c.ConnectedTime != ""
		if present(c.Wrapup) {
			return true
		}
		if a := c.AfterCallWork; a != nil && (a.EndTime != "" || acwDone(a.State)) {
			return true
		}
	}
	return !connected // never answered: nothing to wrap up
}

func finalState(s string) bool {
	return strings.EqualFold(s, "disconnected") || strings.EqualFold(s, "terminated")
}

// acwDone: an afterCallWork state that owes nothing more.
func acwDone(s string) bool {
	for _, done := range []string{"complete", "skipped", "notApplicable"} {
		if strings.EqualFold(s, done) {
			return true
		}
	}
	return false
}

// present: a JSON value other than null.
func present(raw json.RawMessage) bool {
	return len(raw) > 0 && string(raw) != "null"
}

// parseTime reads a platform date (ISO-8601 UTC, milliseconds).
func parseTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}
