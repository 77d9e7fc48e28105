package discovery

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"testing"
)

// queueProxy stands in front of the stand-in's API host and hides some
// queues from GET /api/v2/routing/queues (the stand-in's queues never
// change): a hidden queue is one not yet created, or deleted.
type queueProxy struct {
	srv    *httptest.Server
	mu     sync.Mutex
	hidden map[string]bool
	refuse bool // answer the listing 403
}

func newQueueProxy(t *testing.T, target string) *queueProxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &queueProxy{hidden: map[string]bool{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = p.filter
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		p.mu.Lock()
		refuse := p.refuse
		p.mu.Unlock()
		if refuse && req.URL.Path == queuesPath {
			http.Error(w, `{"status":403,"code":"missing.permissions","message":"no"}`, http.StatusForbidden)
			return
		}
		rp.ServeHTTP(w, req)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *queueProxy) URL() string { return p.srv.URL }

func (p *queueProxy) hide(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hidden[id] = true
}

func (p *queueProxy) show(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.hidden, id)
}

func (p *queueProxy) setRefuse(refuse bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refuse = refuse
}

// filter removes the hidden queues from a listing page.
func (p *queueProxy) filter(resp *http.Response) error {
	if resp.Request.URL.Path != queuesPath || resp.StatusCode != http.StatusOK {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return err
	}
	var page map[string]json.RawMessage
	if err := json.Unmarshal(body, &page); err != nil {
		return err
	}
	var entities []json.RawMessage
	if err := json.Unmarshal(page["entities"], &entities); err != nil {
		return err
	}
	p.mu.Lock()
	kept := entities[:0]
	for _, e := range entities {
		var q struct{ ID string }
		if err := json.Unmarshal(e, &q); err != nil {
			p.mu.Unlock()
			return err
		}
		if !p.hidden[q.ID] {
			kept = append(kept, e)
		}
	}
	p.mu.Unlock()
	if page["entities"], err = json.Marshal(kept); err != nil {
		return err
	}
	if body, err = json.Marshal(page); err != nil {
		return err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return nil
}
