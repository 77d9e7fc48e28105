package genesys

import (
	"cmp"
	"net/http"
	"slices"
	"time"

	"github.com/coder/websocket"
)

// channel is a notification channel. Its fields are guarded by Server.mu.
type channel struct {
	id      string
	seq     uint64 // creation order, for eviction
	client  string
	token   string // the token that created it (GET ?includechannels=token)
	created time.Time
	expires time.Time
	subs    []subscription
	topics  map[string]int // individual topic -> how many subscriptions hold it
	sock    *socket        // the connected socket; nil when none
	gone    bool           // expired, evicted or no longer subscribed
}

// channelBody is platformclientv2 Channel.
type channelBody struct {
	ConnectURI string `json:"connectUri"`
	ID         string `json:"id"`
	Expires    string `json:"expires"`
}

func (s *Server) channelBody(ch *channel) channelBody {
	return channelBody{ConnectURI: s.StreamingURL() + "/channels/" + ch.id, ID: ch.id, Expires: date(ch.expires)}
}

// newChannelIDLocked returns an id shaped like the platform's
// ("streaming-0-" and 26 lowercase letters and digits).
func (s *Server) newChannelIDLocked() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := []byte("streaming-0-")
	for range 26 {
		b = append(b, alphabet[s.rng.IntN(len(alphabet))])
	}
	return string(b)
}

// liveChannelLocked returns the channel id of client, or nil when it does
// not exist, belongs to another client, or is gone or past its expiry (the
// pump removes an expired channel at its expiry; until it has, the channel
// is already dead to callers).
func (s *Server) liveChannelLocked(id, client string) *channel {
	ch := s.channels[id]
	if ch == nil || ch.client != client || ch.gone || !s.clock.Now().Before(ch.expires) {
		return nil
	}
	return ch
}

// clientChannelsLocked returns client's live channels, oldest first.
func (s *Server) clientChannelsLocked(client string) []*channel {
	var out []*channel
	for _, ch := range s.channels {
		if s.liveChannelLocked(ch.id, client) != nil {
			out = append(out, ch)
		}
	}
	slices.SortFunc(out, func(a, b *channel) int { return cmp.Compare(a.seq, b.seq) })
	return out
}

// removeChannelLocked ends ch: it leaves the channel map, its socket (if
// any) is closed with code and reason.
func (s *Server) removeChannelLocked(ch *channel, code websocket.StatusCode, reason string) {
	ch.gone = true
	delete(s.channels, ch.id)
	if ch.sock != nil {
		s.closeSocketLocked(ch.sock, code, reason)
	}
}

// evictLocked makes room for a new channel of client: the oldest
// unconnected channel goes first, else the oldest.
func (s *Server) evictLocked(live []*channel) []*channel {
	victim := 0
	for i, ch := range live {
		if ch.sock == nil {
			victim = i
			break
		}
	}
	s.removeChannelLocked(live[victim], websocket.StatusGoingAway, "channel evicted: the client opened too many channels")
	return slices.Delete(live, victim, victim+1)
}

// createChannel serves POST /api/v2/notifications/channels.
func (s *Server) createChannel(w http.ResponseWriter, r *http.Request) {
	c, tok := caller(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	live := s.clientChannelsLocked(c.ID)
	for len(live) > 0 && len(live) >= s.opts.ChannelsPerClient {
		live = s.evictLocked(live)
	}
	now := s.clock.Now()
	s.seq++
	ch := &channel{id: s.newChannelIDLocked(), seq: s.seq, client: c.ID, token: tok, created: now,
		topics: map[string]int{}}
	s.channels[ch.id] = ch
	s.extendLocked(ch, now)
	writeJSON(w, http.StatusOK, s.channelBody(ch))
}

// extendLocked gives ch a full life from now: at creation and on every
// subscription PUT or POST ("to maintain a channel for longer than 24
// hours, resubscribe").
func (s *Server) extendLocked(ch *channel, now time.Time) {
	if ch.expires.Equal(now.Add(s.opts.ChannelLifetime)) {
		return // already scheduled
	}
	ch.expires = now.Add(s.opts.ChannelLifetime)
	s.scheduleLocked(item{at: ch.expires.Add(-s.opts.ExpiringWarning), kind: itemExpiring, ch: ch, base: ch.expires})
	s.scheduleLocked(item{at: ch.expires, kind: itemExpire, ch: ch, base: ch.expires})
}

// listChannels serves GET /api/v2/notifications/channels: the channels
// created with the caller's token, or with includechannels=oauthclient all
// of its client's.
func (s *Server) listChannels(w http.ResponseWriter, r *http.Request) {
	c, tok := caller(r)
	scope := r.URL.Query().Get("includechannels")
	if scope != "" && scope != "token" && scope != "oauthclient" {
		badRequest(w, "includechannels %q: want token or oauthclient", scope)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []channelBody{}
	for _, ch := range s.clientChannelsLocked(c.ID) {
		if scope == "oauthclient" || ch.token == tok {
			out = append(out, s.channelBody(ch))
		}
	}
	writeJSON(w, http.StatusOK, struct {
		Entities []channelBody `json:"entities"`
	}{out})
}

// headChannel serves HEAD /api/v2/notifications/channels/{id}: 200 while
// the channel lives, 404 after.
func (s *Server) headChannel(w http.ResponseWriter, r *http.Request) {
	c, _ := caller(r)
	s.mu.Lock()
	ch := s.liveChannelLocked(r.PathValue("id"), c.ID)
	s.mu.Unlock()
	if ch == nil {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	w.WriteHeader(http.StatusOK)
}
