package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// channelsPath is the Notifications API's channels resource.
const channelsPath = "/api/v2/notifications/channels"

// Channel is a notification channel.
type Channel struct {
	ID         string
	ConnectURI string    // the socket's address; it takes no Authorization header
	Expires    time.Time // zero when the platform did not say
}

// CreateChannel creates a channel (POST /api/v2/notifications/channels).
// A client holds at most 20: one more evicts its oldest.
func (c *Client) CreateChannel(ctx context.Context) (Channel, error) {
	var body struct {
		ID         string `json:"id"`
		ConnectURI string `json:"connectUri"`
		Expires    string `json:"expires"`
	}
	if _, err := c.Do(ctx, Call{Method: http.MethodPost, Path: channelsPath}, &body); err != nil {
		return Channel{}, err
	}
	if body.ID == "" || body.ConnectURI == "" {
		return Channel{}, fmt.Errorf("POST %s: the answer has no id or connectUri", channelsPath)
	}
	ch := Channel{ID: body.ID, ConnectURI: body.ConnectURI}
	if t, err := time.Parse(time.RFC3339Nano, body.Expires); err == nil {
		ch.Expires = t
	}
	return ch, nil
}

// ChannelExists asks whether channel id still lives (HEAD: 200 yes, 404
// no).
func (c *Client) ChannelExists(ctx context.Context, id string) (bool, error) {
	_, err := c.Do(ctx, Call{Method: http.MethodHead, Path: channelsPath + "/" + url.PathEscape(id)}, nil)
	switch {
	case err == nil:
		return true, nil
	case StatusOf(err) == http.StatusNotFound:
		return false, nil
	}
	return false, err
}

// Rejection is a topic a subscription request was refused.
type Rejection struct {
	Topic              string
	Reason             string
	MissingPermissions []string
}

// Subscriptions is the answer to a subscription request.
type Subscriptions struct {
	Permitted []string
	Rejected  []Rejection
}

// SetSubscriptions replaces channel id's subscriptions with topics (PUT
// with ignoreErrors=true): the permitted ones are subscribed, the rejected
// ones listed with the permissions they lack, instead of the whole request
// failing with 403 for one of them. A 404 means the channel is gone.
func (c *Client) SetSubscriptions(ctx context.Context, id string, topics []string) (Subscriptions, error) {
	req := make([]topicBody, len(topics))
	for i, t := range topics {
		req[i] = topicBody{ID: t}
	}
	var answer struct {
		Entities []topicBody `json:"entities"`
	}
	call := Call{Method: http.MethodPut, Path: channelsPath + "/" + url.PathEscape(id) + "/subscriptions",
		Query: url.Values{"ignoreErrors": {"true"}}, Body: req}
	if _, err := c.Do(ctx, call, &answer); err != nil {
		return Subscriptions{}, err
	}
	var out Subscriptions
	for _, e := range answer.Entities {
		if e.State == "Rejected" {
			out.Rejected = append(out.Rejected, Rejection{Topic: e.ID, Reason: e.RejectionReason, MissingPermissions: e.MissingPermissions})
			continue
		}
		out.Permitted = append(out.Permitted, e.ID) // Permitted, or no state at all
	}
	return out, nil
}

// topicBody is platformclientv2 ChannelTopic with the fields ignoreErrors
// adds.
type topicBody struct {
	ID                 string   `json:"id"`
	State              string   `json:"state,omitempty"`
	RejectionReason    string   `json:"rejectionReason,omitempty"`
	MissingPermissions []string `json:"missingPermissions,omitempty"`
}
