package backfill

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/analytics-bridge/analytics-bridge/source/notifications/api"
)

// ByID returns the details of the given conversations, as many ids per
// call as the API allows (100, the multi-get); ids unknown to the API are
// left out (not an error). Each conversation comes once, in the order the
// API answered.
func (f *Fetcher) ByID(ctx context.Context, ids []string) ([]Conversation, error) {
	ids = dedupe(slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == "" }))
	found := newConversationSet()
	for start := 0; start < len(ids); start += maxMultiGet {
		chunk := ids[start:min(start+maxMultiGet, len(ids))]
		var answer struct {
			Conversations []json.RawMessage `json:"conversations"`
		}
		call := api.Call{Method: http.MethodGet, Path: detailsPath, Query: url.Values{"id": chunk}}
		if _, err := f.opts.API.Do(ctx, call, &answer); err != nil {
			return nil, fmt.Errorf("backfill: conversation details of %d ids: %w", len(chunk), err)
		}
		rows, err := parseConversations(answer.Conversations)
		if err != nil {
			return nil, fmt.Errorf("backfill: conversation details by id: %w", err)
		}
		for _, r := range rows {
			found.add(r)
		}
	}
	return found.list, nil
}
