package genesys

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// sdkModels are the JSON fields of the platform SDK models
// (platform-client-sdk-go 188.0.0, platformclientv2) the stand-in answers
// with, as "model: field field:Child ...": a field marked :Child holds that
// model (or a list of it) and is checked in turn. Every field the stand-in
// writes must be one of them; absent fields are fine (the SDK's are all
// optional).
func sdkModels() map[string]map[string]string {
	src := []string{
		"Channel: connectUri id expires",
		"ChannelEntityListing: entities:Channel",
		"ChannelTopic: id state rejectionReason missingPermissions selfUri",
		"ChannelTopicEntityListing: entities:ChannelTopic",
		"AvailableTopic: description id permissionDetails requiresPermissions requiresDivisionPermissions " +
			"requiresAnyValidator enforced visibility schema requiresCurrentUser requiresCurrentUserOrPermission " +
			"transports publicApiTemplateUriPaths topicParameters",
		"AvailableTopicEntityListing: entities:AvailableTopic",
		"ErrorBody: message code status entityId entityName messageWithParams messageParams contextId details errors limit",
		"Division: id name selfUri",
		"AcwSettings: wrapupPrompt timeoutMs",
		"Queue: id name division:Division description dateCreated dateModified modifiedBy createdBy memberCount " +
			"userMemberCount joinedMemberCount mediaSettings routingRules conditionalGroupRouting conditionalGroupActivation " +
			"bullseye scoringMethod lastAgentRoutingMode acwSettings:AcwSettings skillEvaluationMethod memberGroups queueFlow " +
			"emailInQueueFlow messageInQueueFlow whisperPrompt onHoldPrompt autoAnswerOnly cannedResponseLibraries " +
			"enableTranscription enableAudioMonitoring enableManualAssignment agentOwnedRouting directRouting " +
			"callingPartyName callingPartyNumber defaultScripts outboundMessagingAddresses outboundEmailAddress peerId " +
			"suppressInQueueCallRecording selfUri",
		"QueueEntityListing: entities:Queue pageSize pageNumber total firstUri nextUri previousUri lastUri selfUri pageCount",
		"QueueConversationEventTopicConversation: id maxParticipants participants:QueueConversationEventTopicParticipant " +
			"recentTransfers recordingState address externalTag utilizationLabelId accessAttributes securePause " +
			"inactivityTimeout associatedConversation consultationConversations " +
			"divisions:QueueConversationEventTopicConversationDivisionMembership",
		"QueueConversationEventTopicParticipant: id connectedTime endTime userId externalContactId " +
			"externalContactInitialDivisionId externalOrganizationId name queueId groupId teamId purpose " +
			"consultParticipantId address wrapupRequired wrapupExpected wrapupPrompt wrapupTimeoutMs " +
			"wrapup:QueueConversationEventTopicWrapup startAcwTime endAcwTime conversationRoutingData alertingTimeoutMs " +
			"monitoredParticipantId screenMonitoredParticipantId coachedParticipantId bargedParticipantId mediaRoles " +
			"screenRecordingState flaggedReason attributes calls:QueueConversationEventTopicCall callbacks chats " +
			"cobrowsesessions emails messages internalMessages screenMonitorings screenshares socialExpressions videos workflow",
		"QueueConversationEventTopicCall: id state initialState recording recordingState recordersState muted confined " +
			"held securePause errorInfo disconnectType startHoldTime direction documentId " +
			"self:QueueConversationEventTopicAddress other:QueueConversationEventTopicAddress provider scriptId peerId " +
			"connectedTime disconnectedTime disconnectReasons faxStatus uuiData bargedTime wrapup afterCallWork " +
			"afterCallWorkRequired agentAssistantId queueMediaSettings disposition transferSource",
		"QueueConversationEventTopicAddress: name nameRaw addressNormalized addressRaw addressDisplayable",
		"QueueConversationEventTopicWrapup: code notes tags durationSeconds endTime",
		"QueueConversationEventTopicConversationDivisionMembership: division:QueueConversationEventTopicDomainEntityRef " +
			"entities:QueueConversationEventTopicDivisionEntityRef",
		"QueueConversationEventTopicDomainEntityRef: id selfUri",
		"QueueConversationEventTopicDivisionEntityRef: id selfUri dateDivisionUpdated",
		"AnalyticsConversationQueryResponse: conversations:AnalyticsConversationWithoutAttributes aggregations totalHits",
		"AnalyticsConversationWithoutAttributesMultiGetResponse: conversations:AnalyticsConversationWithoutAttributes",
		"AnalyticsConversationWithoutAttributes: " + analyticsConversationFields + " participants:AnalyticsParticipantWithoutAttributes",
		"AnalyticsConversation: " + analyticsConversationFields + " participants:AnalyticsParticipant",
		"AnalyticsParticipantWithoutAttributes: " + analyticsParticipantFields,
		"AnalyticsParticipant: " + analyticsParticipantFields + " attributes",
		"AnalyticsSession: activeSkillIds acwSkipped addressFrom addressOther addressSelf addressTo agentAssistantId " +
			"agentBullseyeRing agentOwned ani assignerId authenticated bargedParticipantId bcc callbackNumbers " +
			"callbackScheduledTime callbackUserName cc cleared coachedParticipantId cobrowseRole cobrowseRoomId " +
			"deliveryPushed deliveryStatus deliveryStatusChangeDate destinationAddresses detectedSpeechEnd " +
			"detectedSpeechStart direction dispositionAnalyzer dispositionName dnis edgeId eligibleAgentCounts " +
			"engagementSource extendedDeliveryStatus flowInType flowOutType journeyActionId journeyActionMapId " +
			"journeyActionMapVersion journeyCustomerId journeyCustomerIdType journeyCustomerSessionId " +
			"journeyCustomerSessionIdType mediaBridgeId mediaCount mediaType messageType monitoredParticipantId " +
			"outboundCampaignId outboundContactId outboundContactListId peerId protocolCallId provider recording remote " +
			"remoteNameDisplayable removedSkillIds requestedRoutings roomId routingRing routingRule routingRuleType " +
			"screenMonitoredUserId screenShareAddressSelf screenShareRoomId scriptId selectedAgentId selectedAgentRank " +
			"sessionDnis sessionId sharingScreen skillExpressionId skipEnabled snippetRecording timeoutSeconds usedRouting " +
			"videoAddressSelf videoRoomId waitingInteractionCounts agentGroups proposedAgents mediaEndpointStats flow " +
			"metrics:AnalyticsSessionMetric segments:AnalyticsConversationSegment",
		"AnalyticsConversationSegment: audioMuted conference destinationConversationId destinationSessionId " +
			"disconnectType errorCode groupId q850ResponseCodes queueId requestedLanguageId requestedRoutingSkillIds " +
			"requestedRoutingUserIds segmentEnd segmentStart segmentType sipResponseCodes sourceConversationId " +
			"sourceSessionId subject videoMuted wrapUpCode wrapUpNote wrapUpTags scoredAgents properties",
		"AnalyticsSessionMetric: emitDate name value",
		"AsyncQueryResponse: jobId",
		"AsyncQueryStatus: state errorMessage expirationDate submissionDate completionDate",
		"AnalyticsConversationAsyncQueryResponse: conversations:AnalyticsConversation cursor dataAvailabilityDate",
		"DataAvailabilityResponse: dataAvailabilityDate",
		"SystemMessageSystemMessage: channelId systemTopicType correlationId organizationId userId oauthClientId " +
			"oauthClientOrgId reason message data",
	}
	out := map[string]map[string]string{}
	for _, line := range src {
		name, fields, _ := strings.Cut(line, ": ")
		out[name] = map[string]string{}
		for _, f := range strings.Fields(fields) {
			field, child, _ := strings.Cut(f, ":")
			out[name][field] = child
		}
	}
	return out
}

const (
	analyticsConversationFields = "accessAttributes associatedConversationId conferenceStart " +
		"consultationConversationIds conversationEnd conversationId conversationInitiator conversationStart " +
		"customerParticipation divisionIds externalTag inactivityTimeout knowledgeBaseIds mediaStatsMinConversationMos " +
		"mediaStatsMinConversationRFactor originatingDirection originatingSocialMediaPublic selfServed evaluations " +
		"surveys resolutions"
	analyticsParticipantFields = "externalContactId externalOrganizationId flaggedReason participantId " +
		"participantName purpose screenRecording teamId userId sessions:AnalyticsSession"
)

// checkModel fails the test if raw has a field model lacks, at any depth.
func checkModel(t *testing.T, raw []byte, model string) {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v", model, err)
	}
	checkValue(t, sdkModels(), v, model, model)
}

func checkValue(t *testing.T, models map[string]map[string]string, v any, model, path string) {
	t.Helper()
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			checkValue(t, models, e, model, path+"[]")
		}
	case map[string]any:
		fields, known := models[model]
		if !known {
			t.Fatalf("%s: no model %s", path, model)
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			child, ok := fields[k]
			if !ok {
				t.Errorf("%s.%s: %s has no such field", path, k, model)
				continue
			}
			if child != "" {
				checkValue(t, models, x[k], child, path+"."+k)
			}
		}
	default:
		t.Errorf("%s: %T where %s wants an object", path, v, model)
	}
}
