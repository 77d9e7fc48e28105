package config

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Platform limits the settings are checked against (the notifications
// client enforces them too; config does not import it).
const (
	genesysMaxChannels      = 20
	genesysTopicsPerChannel = 1000
)

// Notifications is the notifications source's settings: where Genesys
// Cloud is, the OAuth client, what to subscribe, and the bounds of
// following conversations and back-filling them.
type Notifications struct {
	// Region is GENESYS_REGION, "" when GENESYS_API_URL and
	// GENESYS_LOGIN_URL were given instead.
	Region string
	// APIURL and LoginURL are scheme://host[:port] without a trailing
	// slash: https://api.<region> and https://login.<region>, or the
	// explicit GENESYS_API_URL and GENESYS_LOGIN_URL. The token endpoint
	// is LoginURL + "/oauth/token".
	APIURL, LoginURL string
	// ClientID and ClientSecret, or ClientSecretFile holding the secret,
	// are the OAuth client's (OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET,
	// OAUTH_CLIENT_SECRET_FILE).
	ClientID, ClientSecret, ClientSecretFile string
	// Topics are GENESYS_TOPICS' templates; a TopicIDPlaceholder in one
	// stands for each queue id.
	Topics []string
	// QueueIDs are GENESYS_QUEUE_IDS' ids; empty with AllQueues, or when
	// no template holds TopicIDPlaceholder.
	QueueIDs []string
	// AllQueues is GENESYS_QUEUE_IDS=all: every queue of the org, listed
	// again every QueueRefresh.
	AllQueues bool
	// DetailTypes are the detail event types subscribed for every
	// conversation seen (v2.detail.events.conversation.{id}.<type>);
	// empty: no conversation is followed (GENESYS_DETAIL_EVENTS=none).
	DetailTypes []string
	// MaxChannels is GENESYS_MAX_CHANNELS.
	MaxChannels int
	// QueueRefresh is how often the queues are listed with AllQueues.
	QueueRefresh time.Duration
	// ConversationLinger is how long a conversation's detail topics stay
	// subscribed after its end.
	ConversationLinger time.Duration
	// MaxFollowed is the most conversations followed at once.
	MaxFollowed int
	// BackfillPoll is how often conversations awaiting their end are
	// fetched; BackfillMaxWait how long one may await it before it is
	// written as it stands.
	BackfillPoll, BackfillMaxWait time.Duration
	// EventLatency widens every back-filled interval on both sides.
	EventLatency time.Duration
}

// genesysRegions are the public domains of Genesys Cloud's regions
// (PureCloudRegionHosts of the platform SDKs; Genesys's service discovery
// list of stable prod and FedRAMP deployments).
var genesysRegions = []string{
	"mypurecloud.com",        // us-east-1
	"usw2.pure.cloud",        // us-west-2
	"use2.us-gov-pure.cloud", // us-east-2, FedRAMP
	"cac1.pure.cloud",        // ca-central-1
	"mxc1.pure.cloud",        // mx-central-1
	"sae1.pure.cloud",        // sa-east-1
	"mypurecloud.ie",         // eu-west-1
	"euw2.pure.cloud",        // eu-west-2
	"mypurecloud.de",         // eu-central-1
	"euc2.pure.cloud",        // eu-central-2
	"mec1.pure.cloud",        // me-central-1
	"aps1.pure.cloud",        // ap-south-1
	"mypurecloud.jp",         // ap-northeast-1
	"apne2.pure.cloud",       // ap-northeast-2
	"apne3.pure.cloud",       // ap-northeast-3
	"mypurecloud.com.au",     // ap-southeast-2
	"apse1.pure.cloud",       // ap-southeast-1
}

// GenesysRegions returns the region domains GENESYS_REGION accepts.
func GenesysRegions() []string { return slices.Clone(genesysRegions) }

// notifications validates the notifications source's settings.
func (v *validator) notifications(e Env) Notifications {
	n := Notifications{
		ClientID:         strings.TrimSpace(e.OAuthClientID),
		ClientSecret:     e.OAuthClientSecret,
		ClientSecretFile: strings.TrimSpace(e.OAuthSecretFile),
		MaxChannels:      v.intRange("GENESYS_MAX_CHANNELS", e.GenesysMaxChannels, 1, genesysMaxChannels),
		QueueRefresh:     v.duration("GENESYS_QUEUE_REFRESH", e.GenesysQueueRefresh, time.Minute),
		// A linger of 0 drops a conversation's topics at its end.
		ConversationLinger: v.duration("GENESYS_CONVERSATION_LINGER", e.GenesysConversationLinger, 0),
		MaxFollowed:        v.intRange("GENESYS_MAX_FOLLOWED", e.GenesysMaxFollowed, 1, genesysMaxChannels*genesysTopicsPerChannel),
		BackfillPoll:       v.duration("GENESYS_BACKFILL_POLL", e.GenesysBackfillPoll, time.Second),
		BackfillMaxWait:    v.duration("GENESYS_BACKFILL_MAX_WAIT", e.GenesysBackfillMaxWait, time.Minute),
		EventLatency:       v.duration("GENESYS_EVENT_LATENCY", e.GenesysEventLatency, 0),
	}
	v.genesysHosts(e, &n)
	v.genesysCredentials(e, n)
	n.Topics = v.topicTemplates(e.GenesysTopics)
	n.QueueIDs, n.AllQueues = v.queueIDs(e.GenesysQueueIDs, n.Topics)
	n.DetailTypes = v.detailTypes(e.GenesysDetailEvents)
	if n.BackfillPoll > 0 && n.BackfillMaxWait > 0 && n.BackfillMaxWait < n.BackfillPoll {
		v.add("GENESYS_BACKFILL_MAX_WAIT", fmt.Sprintf("%s is less than GENESYS_BACKFILL_POLL (%s)", n.BackfillMaxWait, n.BackfillPoll))
	}
	v.topicCapacity(n)
	return n
}

// genesysHosts sets the API and login hosts from GENESYS_REGION, or from
// GENESYS_API_URL and GENESYS_LOGIN_URL: one way, not both.
func (v *validator) genesysHosts(e Env, n *Notifications) {
	region := strings.ToLower(strings.TrimSpace(e.GenesysRegion))
	apiURL, loginURL := strings.TrimSpace(e.GenesysAPIURL), strings.TrimSpace(e.GenesysLoginURL)
	switch {
	case region != "" && (apiURL != "" || loginURL != ""):
		v.add("GENESYS_REGION", "set GENESYS_REGION, or GENESYS_API_URL with GENESYS_LOGIN_URL, not both")
	case apiURL != "" || loginURL != "":
		if apiURL == "" {
			v.add("GENESYS_API_URL", "is required with GENESYS_LOGIN_URL")
		}
		if loginURL == "" {
			v.add("GENESYS_LOGIN_URL", "is required with GENESYS_API_URL")
		}
		if apiURL != "" {
			n.APIURL = v.origin("GENESYS_API_URL", apiURL)
		}
		if loginURL != "" {
			n.LoginURL = v.origin("GENESYS_LOGIN_URL", loginURL)
		}
	case region == "":
		v.add("GENESYS_REGION", "is required with SOURCE=notifications (or, for another environment, GENESYS_API_URL and GENESYS_LOGIN_URL)")
	case !slices.Contains(genesysRegions, region):
		v.add("GENESYS_REGION", fmt.Sprintf("%q is not a known Genesys Cloud region (%s); for another environment set GENESYS_API_URL and GENESYS_LOGIN_URL instead",
			region, strings.Join(genesysRegions, ", ")))
	default:
		n.Region = region
		n.APIURL, n.LoginURL = "https://api."+region, "https://login."+region
	}
}

// origin checks an http:// or https:// host URL without a path (the
// bridge adds /api/v2/... and /oauth/token) and returns it without a
// trailing slash.
func (v *validator) origin(name, value string) string {
	u, err := url.Parse(value)
	switch {
	case err != nil || u.Host == "":
		v.add(name, fmt.Sprintf("%q is not an absolute URL", redactURL(value)))
	case u.Scheme != "http" && u.Scheme != "https":
		v.add(name, fmt.Sprintf("scheme %q is not one of https, http", u.Scheme))
	case u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
		v.add(name, fmt.Sprintf("%q is more than scheme://host[:port]: give the host alone, the bridge adds the paths", redactURL(value)))
	}
	return strings.TrimSuffix(value, "/")
}

// genesysCredentials checks the OAuth client: an id and a secret (or its
// file); the token endpoint follows from the login host.
func (v *validator) genesysCredentials(e Env, n Notifications) {
	if n.ClientID == "" {
		v.add("OAUTH_CLIENT_ID", "is required with SOURCE=notifications")
	}
	v.secretOrFile("OAUTH_CLIENT_SECRET", "OAUTH_CLIENT_SECRET_FILE", n.ClientSecret, n.ClientSecretFile, "with SOURCE=notifications")
	if strings.TrimSpace(e.OAuthTokenURL) != "" {
		v.add("OAUTH_TOKEN_URL", "is not used with SOURCE=notifications: the token endpoint is GENESYS_LOGIN_URL/oauth/token")
	}
	if strings.TrimSpace(e.OAuthScopes) != "" {
		v.add("OAUTH_SCOPES", "is not used with SOURCE=notifications: the OAuth client's roles decide what it may read")
	}
}

// summary is the API host, the topic templates over the queues, and the
// conversations followed; never the client's credentials.
func (n Notifications) summary() string {
	queues := "all queues"
	if !n.AllQueues {
		queues = plural(len(n.QueueIDs), "queue")
	}
	following := "no detail events"
	if len(n.DetailTypes) > 0 {
		following = fmt.Sprintf("%s of up to %s", plural(len(n.DetailTypes), "detail event type"), plural(n.MaxFollowed, "conversation"))
	}
	return fmt.Sprintf("%s, %s over %s, %s", redactURL(n.APIURL), plural(len(n.Topics), "topic template"), queues, following)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
