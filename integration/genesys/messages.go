package genesys

import (
	"encoding/json"
	"time"
)

// The socket's own frames, byte for byte as the reference gives them.
const (
	heartbeatFrame = `{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}`
	pongFrame      = `{"topicName":"channel.metadata","eventBody":{"message":"pong"}}`
)

// Notification is the envelope of every socket message but the
// channel.metadata ones: {topicName, version, eventBody,
// metadata{CorrelationId}}. It has no event id and no sequence number.
type Notification struct {
	TopicName string          `json:"topicName"`
	Version   string          `json:"version"`
	EventBody json.RawMessage `json:"eventBody"`
	Metadata  Metadata        `json:"metadata"`
}

// Metadata is a notification's metadata.
type Metadata struct {
	CorrelationID string `json:"CorrelationId"`
}

// notificationFrame renders a notification; eventBody stays byte for byte.
func notificationFrame(topic string, eventBody []byte, correlation string) []byte {
	return marshal(Notification{TopicName: topic, Version: "2", EventBody: eventBody, Metadata: Metadata{correlation}})
}

// systemMessage is the body of the v2.system topics (platformclientv2
// SystemMessageSystemMessage: the fields a client-credentials channel has).
type systemMessage struct {
	ChannelID       string `json:"channelId"`
	SystemTopicType string `json:"systemTopicType"`
	CorrelationID   string `json:"correlationId"`
	OrganizationID  string `json:"organizationId"`
	OauthClientID   string `json:"oauthClientId"`
	Reason          string `json:"reason"`
	Message         string `json:"message"`
}

// systemFrameLocked renders a v2.system message about ch; s.mu held.
func (s *Server) systemFrameLocked(topic, systemType string, ch *channel, reason, message string) []byte {
	correlation := s.uuidLocked()
	body := marshal(systemMessage{ChannelID: ch.id, SystemTopicType: systemType, CorrelationID: correlation,
		OrganizationID: s.orgID, OauthClientID: ch.client, Reason: reason, Message: message})
	return notificationFrame(topic, body, correlation)
}

// expiringFrameLocked renders streaming-subscriptions-expiring: the
// channel's subscriptions expire in `in` (whole seconds, as {expiring: 60}).
func (s *Server) expiringFrameLocked(in time.Duration) []byte {
	body := marshal(struct {
		Expiring int64 `json:"expiring"`
	}{int64(in / time.Second)})
	return notificationFrame(TopicSubscriptionsExpiring, body, s.uuidLocked())
}
