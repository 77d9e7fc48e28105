package contentkey

// Pair builds the content keys of Genesys notifications: the key of
// {"eventBody": <eventBody>, "topicName": <topicName>}, whatever else the
// envelope holds (version, metadata.CorrelationId, EventBridge's id and
// time), which the platform renews when it sends an event again. The same
// event read from EventBridge (source/sqs) and from a notification channel
// (source/notifications) has the same key.
//
// A Pair reuses its buffer: it is not safe for concurrent use.
type Pair struct{ buf []byte }

// Key is the content key of the pair. topicName and eventBody are raw JSON
// as read (topicName a JSON string, quotes included); neither is retained.
func (p *Pair) Key(topicName, eventBody []byte) (string, error) {
	b := append(p.buf[:0], `{"eventBody":`...)
	b = append(b, eventBody...)
	b = append(b, `,"topicName":`...)
	b = append(b, topicName...)
	b = append(b, '}')
	if cap(b) <= 64<<10 {
		p.buf = b
	} else {
		p.buf = nil // an outsized event: let its buffer go
	}
	return Of(b)
}
