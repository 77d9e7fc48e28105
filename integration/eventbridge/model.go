package eventbridge

// Event bodies, one type per detail-event topic, with the JSON names and
// order of the Genesys platform SDK models. Only the fields a voice call
// fills are here; all of them exist in the models (the tests check that).

// customerStart is v2.detail.events.conversation.{id}.customer.start.
type customerStart struct {
	EventTime      int64  `json:"eventTime"`
	ConversationID string `json:"conversationId"`
	ParticipantID  string `json:"participantId"`
	SessionID      string `json:"sessionId"`
	MediaType      string `json:"mediaType"`
	Provider       string `json:"provider"`
	Direction      string `json:"direction"`
	Ani            string `json:"ani"`
	Dnis           string `json:"dnis"`
	DivisionID     string `json:"divisionId"`
}

// customerEnd is ...customer.end.
type customerEnd struct {
	EventTime             int64  `json:"eventTime"`
	ConversationID        string `json:"conversationId"`
	ParticipantID         string `json:"participantId"`
	SessionID             string `json:"sessionId"`
	DisconnectType        string `json:"disconnectType"`
	MediaType             string `json:"mediaType"`
	Provider              string `json:"provider"`
	Direction             string `json:"direction"`
	Ani                   string `json:"ani"`
	Dnis                  string `json:"dnis"`
	InteractingDurationMs int64  `json:"interactingDurationMs"`
	DivisionID            string `json:"divisionId"`
}

// acdStart is ...acd.start.
type acdStart struct {
	EventTime                int64    `json:"eventTime"`
	ConversationID           string   `json:"conversationId"`
	ParticipantID            string   `json:"participantId"`
	SessionID                string   `json:"sessionId"`
	MediaType                string   `json:"mediaType"`
	Provider                 string   `json:"provider"`
	Direction                string   `json:"direction"`
	Ani                      string   `json:"ani"`
	Dnis                     string   `json:"dnis"`
	QueueID                  string   `json:"queueId"`
	DivisionID               string   `json:"divisionId"`
	RoutingPriority          int      `json:"routingPriority"`
	RequestedRoutingSkillIDs []string `json:"requestedRoutingSkillIds"`
}

// acdEnd is ...acd.end.
type acdEnd struct {
	EventTime           int64    `json:"eventTime"`
	ConversationID      string   `json:"conversationId"`
	ParticipantID       string   `json:"participantId"`
	SessionID           string   `json:"sessionId"`
	DisconnectType      string   `json:"disconnectType"`
	MediaType           string   `json:"mediaType"`
	Provider            string   `json:"provider"`
	Direction           string   `json:"direction"`
	Ani                 string   `json:"ani"`
	Dnis                string   `json:"dnis"`
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
	EventTime      int64  `json:"eventTime"`
	ConversationID string `json:"conversationId"`
	ParticipantID  string `json:"participantId"`
	SessionID      string `json:"sessionId"`
	MediaType      string `json:"mediaType"`
	Provider       string `json:"provider"`
	Direction      string `json:"direction"`
	Ani            string `json:"ani"`
	Dnis           string `json:"dnis"`
	UserID         string `json:"userId"`
	DivisionID     string `json:"divisionId"`
	QueueID        string `json:"queueId"`
}

// userEnd is ...user.end.
type userEnd struct {
	EventTime             int64  `json:"eventTime"`
	ConversationID        string `json:"conversationId"`
	ParticipantID         string `json:"participantId"`
	SessionID             string `json:"sessionId"`
	DisconnectType        string `json:"disconnectType"`
	MediaType             string `json:"mediaType"`
	Provider              string `json:"provider"`
	Direction             string `json:"direction"`
	Ani                   string `json:"ani"`
	Dnis                  string `json:"dnis"`
	UserID                string `json:"userId"`
	DivisionID            string `json:"divisionId"`
	QueueID               string `json:"queueId"`
	InteractingDurationMs int64  `json:"interactingDurationMs"`
	HeldDurationMs        int64  `json:"heldDurationMs"`
	AlertingDurationMs    int64  `json:"alertingDurationMs"`
}

// afterCallWork is ...acw.
type afterCallWork struct {
	EventTime        int64  `json:"eventTime"`
	ConversationID   string `json:"conversationId"`
	ParticipantID    string `json:"participantId"`
	SessionID        string `json:"sessionId"`
	MediaType        string `json:"mediaType"`
	Provider         string `json:"provider"`
	Direction        string `json:"direction"`
	Ani              string `json:"ani"`
	Dnis             string `json:"dnis"`
	UserID           string `json:"userId"`
	QueueID          string `json:"queueId"`
	WrapupCode       string `json:"wrapupCode"`
	WrapupNotes      string `json:"wrapupNotes"`
	WrapupDurationMs int64  `json:"wrapupDurationMs"`
}
