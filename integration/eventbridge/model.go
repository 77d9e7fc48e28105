package eventbridge

// Event bodies, one type per detail-event topic, with the JSON names and
// order of the Genesys platform SDK models. Only the fields a voice call
// fills are here; all of them exist in the models (the tests check that).

// session is the participant session an event is about: the first fields
// of every model.
type session struct {
	EventTime      int64  `json:"eventTime"`
	ConversationID string `json:"conversationId"`
	ParticipantID  string `json:"participantId"`
	SessionID      string `json:"sessionId"`
}

// call is the media and addresses of the call, the same in every event of
// it; every model has them, after the session (and the disconnect type).
type call struct {
	MediaType string `json:"mediaType"`
	Provider  string `json:"provider"`
	Direction string `json:"direction"`
	Ani       string `json:"ani"`
	Dnis      string `json:"dnis"`
}

// customerStart is v2.detail.events.conversation.{id}.customer.start.
type customerStart struct {
	session
	call
	DivisionID string `json:"divisionId"`
}

// customerEnd is ...customer.end.
type customerEnd struct {
	session
	DisconnectType string `json:"disconnectType"`
	call
	InteractingDurationMs int64  `json:"interactingDurationMs"`
	DivisionID            string `json:"divisionId"`
}

// acdStart is ...acd.start.
type acdStart struct {
	session
	call
	QueueID                  string   `json:"queueId"`
	DivisionID               string   `json:"divisionId"`
	RoutingPriority          int      `json:"routingPriority"`
	RequestedRoutingSkillIDs []string `json:"requestedRoutingSkillIds"`
}

// acdEnd is ...acd.end.
type acdEnd struct {
	session
	DisconnectType string `json:"disconnectType"`
	call
	QueueID             string   `json:"queueId"`
	DivisionID          string   `json:"divisionId"`
	AcdOutcome          string   `json:"acdOutcome"`
	AnsweredUserID      string   `json:"answeredUserId,omitempty"`
	RequestedRoutings   []string `json:"requestedRoutings"`
	UsedRouting         string   `json:"usedRouting,omitempty"`
	RoutingPriority     int      `json:"routingPriority"`
	ConnectedDurationMs int64    `json:"connectedDurationMs"`
}

// userStart is ...user.start.
type userStart struct {
	session
	call
	UserID     string `json:"userId"`
	DivisionID string `json:"divisionId"`
	QueueID    string `json:"queueId"`
}

// userEnd is ...user.end.
type userEnd struct {
	session
	DisconnectType string `json:"disconnectType"`
	call
	UserID                string `json:"userId"`
	DivisionID            string `json:"divisionId"`
	QueueID               string `json:"queueId"`
	InteractingDurationMs int64  `json:"interactingDurationMs"`
	HeldDurationMs        int64  `json:"heldDurationMs"`
	AlertingDurationMs    int64  `json:"alertingDurationMs"`
}

// afterCallWork is ...acw.
type afterCallWork struct {
	session
	call
	UserID           string `json:"userId"`
	QueueID          string `json:"queueId"`
	WrapupCode       string `json:"wrapupCode"`
	WrapupNotes      string `json:"wrapupNotes"`
	WrapupDurationMs int64  `json:"wrapupDurationMs"`
}
