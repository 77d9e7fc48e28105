package eventbridge

// Test-only copies of the Genesys platform SDK models (platformclientv2,
// release 188.0.0): every JSON field each model has. Bodies are decoded into
// them with unknown fields refused, so a field the generator invents fails.

// sdkConversationEvent holds the fields every conversation detail event
// model has (each SDK model declares them again; here they are embedded,
// which decodes alike).
type sdkConversationEvent struct {
	EventTime                           *int64    `json:"eventTime"`
	ConversationId                      *string   `json:"conversationId"`
	ParticipantId                       *string   `json:"participantId"`
	SessionId                           *string   `json:"sessionId"`
	MediaType                           *string   `json:"mediaType"`
	Provider                            *string   `json:"provider"`
	Direction                           *string   `json:"direction"`
	Ani                                 *string   `json:"ani"`
	Dnis                                *string   `json:"dnis"`
	AddressTo                           *string   `json:"addressTo"`
	AddressFrom                         *string   `json:"addressFrom"`
	CallbackUserName                    *string   `json:"callbackUserName"`
	CallbackNumbers                     *[]string `json:"callbackNumbers"`
	CallbackScheduledTime               *int64    `json:"callbackScheduledTime"`
	Subject                             *string   `json:"subject"`
	MessageType                         *string   `json:"messageType"`
	ConversationExternalContactIds      *[]string `json:"conversationExternalContactIds"`
	ConversationExternalOrganizationIds *[]string `json:"conversationExternalOrganizationIds"`
	UtilizationLabel                    *string   `json:"utilizationLabel"`
}

type sdkCustomerStart struct {
	sdkConversationEvent
	ExternalOrganizationId *string `json:"externalOrganizationId"`
	ExternalContactId      *string `json:"externalContactId"`
	JourneyContext         *struct {
		SessionId     *string `json:"sessionId"`
		SessionIdType *string `json:"sessionIdType"`
		ActionId      *string `json:"actionId"`
		ActionMapId   *string `json:"actionMapId"`
	} `json:"journeyContext"`
	DivisionId *string `json:"divisionId"`
}

type sdkCustomerEnd struct {
	sdkConversationEvent
	DisconnectType         *string `json:"disconnectType"`
	ExternalOrganizationId *string `json:"externalOrganizationId"`
	ExternalContactId      *string `json:"externalContactId"`
	InteractingDurationMs  *int64  `json:"interactingDurationMs"`
	DivisionId             *string `json:"divisionId"`
}

type sdkAcdStart struct {
	sdkConversationEvent
	QueueId                  *string   `json:"queueId"`
	DivisionId               *string   `json:"divisionId"`
	RoutingPriority          *int64    `json:"routingPriority"`
	RequestedRoutingSkillIds *[]string `json:"requestedRoutingSkillIds"`
	SkillExpressionApplied   *bool     `json:"skillExpressionApplied"`
}

type sdkAcdEnd struct {
	sdkConversationEvent
	DisconnectType              *string   `json:"disconnectType"`
	QueueId                     *string   `json:"queueId"`
	DivisionId                  *string   `json:"divisionId"`
	AcdOutcome                  *string   `json:"acdOutcome"`
	AnsweredUserId              *string   `json:"answeredUserId"`
	RequestedRoutings           *[]string `json:"requestedRoutings"`
	UsedRouting                 *string   `json:"usedRouting"`
	RequestedRoutingSkillIds    *[]string `json:"requestedRoutingSkillIds"`
	RequestedSkillExpressionIds *[]string `json:"requestedSkillExpressionIds"`
	RequestedLanguageId         *string   `json:"requestedLanguageId"`
	RequestedRoutingUserIds     *[]string `json:"requestedRoutingUserIds"`
	RoutingPriority             *int64    `json:"routingPriority"`
	ConnectedDurationMs         *int64    `json:"connectedDurationMs"`
	FlowType                    *string   `json:"flowType"`
}

type sdkUserStart struct {
	sdkConversationEvent
	UserId     *string `json:"userId"`
	DivisionId *string `json:"divisionId"`
	QueueId    *string `json:"queueId"`
}

type sdkUserEnd struct {
	sdkConversationEvent
	DisconnectType        *string `json:"disconnectType"`
	UserId                *string `json:"userId"`
	DivisionId            *string `json:"divisionId"`
	QueueId               *string `json:"queueId"`
	InteractingDurationMs *int64  `json:"interactingDurationMs"`
	HeldDurationMs        *int64  `json:"heldDurationMs"`
	AlertingDurationMs    *int64  `json:"alertingDurationMs"`
	ContactingDurationMs  *int64  `json:"contactingDurationMs"`
	DialingDurationMs     *int64  `json:"dialingDurationMs"`
	CallbackDurationMs    *int64  `json:"callbackDurationMs"`
}

type sdkAfterCallWork struct {
	sdkConversationEvent
	UserId           *string `json:"userId"`
	QueueId          *string `json:"queueId"`
	WrapupCode       *string `json:"wrapupCode"`
	WrapupNotes      *string `json:"wrapupNotes"`
	WrapupDurationMs *int64  `json:"wrapupDurationMs"`
}

// sdkModel returns a fresh SDK model for a topic suffix.
func sdkModel(suffix string) any {
	switch suffix {
	case "customer.start":
		return &sdkCustomerStart{}
	case "customer.end":
		return &sdkCustomerEnd{}
	case "acd.start":
		return &sdkAcdStart{}
	case "acd.end":
		return &sdkAcdEnd{}
	case "user.start":
		return &sdkUserStart{}
	case "user.end":
		return &sdkUserEnd{}
	case "acw":
		return &sdkAfterCallWork{}
	}
	return nil
}
