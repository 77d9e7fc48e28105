package sqsfake

// CreateQueue creates a queue in-process (as the CreateQueue call would),
// for a demo or a test that fills the stand-in without a client.
func (s *Server) CreateQueue(name string, attrs map[string]string) error {
	if !validQueueName(name) {
		return errInvalidParameterValue("queue name " + name + ": can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.queues[name] != nil {
		return errQueueNameExists(name)
	}
	q, err := newQueue(name, s.nextSerialLocked(), s.clock.Now(), attrs)
	if err != nil {
		return err
	}
	s.queues[name] = q
	return nil
}

// Send stores a message body in queue in-process and returns its MessageId.
func (s *Server) Send(queue, body string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queues[queue]
	if q == nil {
		return "", errQueueDoesNotExist()
	}
	m, e := s.sendLocked(q, body, nil)
	if e != nil { // (a nil *apiError must not become a non-nil error)
		return "", e
	}
	return m.id, nil
}

// QueueURL is the URL of queue on a server reached at endpoint (for example
// "http://127.0.0.1:9324"), as GetQueueUrl would answer it.
func (s *Server) QueueURL(endpoint, queue string) string { return s.queueURL(endpoint, queue) }
