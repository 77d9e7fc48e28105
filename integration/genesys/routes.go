package genesys

import "net/http"

// API paths.
const (
	TokenPath         = "/oauth/token"
	channelsPath      = "/api/v2/notifications/channels"
	queuesPath        = "/api/v2/routing/queues"
	conversationsPath = "/api/v2/analytics/conversations"
	detailsPath       = conversationsPath + "/details"
)

// notFoundJSON answers what no route serves.
func notFoundJSON(w http.ResponseWriter, r *http.Request) {
	notFound(w, "no resource at %s %s", r.Method, r.URL.Path)
}

// loginMux serves the login host.
func (s *Server) loginMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+TokenPath, s.handleToken)
	mux.HandleFunc("/", notFoundJSON)
	return mux
}

// streamingMux serves the streaming host: the channel sockets.
func (s *Server) streamingMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /channels/{id}", s.connect)
	mux.HandleFunc("/", notFoundJSON)
	return mux
}

// apiMux serves the API host: every route needs a bearer token, and the
// routing and analytics ones a permission; the admin API needs neither.
func (s *Server) apiMux() http.Handler {
	mux := http.NewServeMux()
	auth := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, s.authenticate(h)) }
	perm := func(pattern, p string, h http.HandlerFunc) { mux.Handle(pattern, s.authenticate(require(p, h))) }

	auth("POST "+channelsPath, s.createChannel)
	auth("GET "+channelsPath, s.listChannels)
	auth("HEAD "+channelsPath+"/{id}", s.headChannel)
	auth("GET "+channelsPath+"/{id}/subscriptions", s.getSubscriptions)
	auth("PUT "+channelsPath+"/{id}/subscriptions", s.putSubscriptions)
	auth("POST "+channelsPath+"/{id}/subscriptions", s.postSubscriptions)
	auth("DELETE "+channelsPath+"/{id}/subscriptions", s.deleteSubscriptions)
	auth("GET "+availableTopicsPath, s.listAvailableTopics)

	perm("GET "+queuesPath, PermQueueView, s.listQueues)

	perm("GET "+conversationsPath+"/{id}/details", PermConversationDetailView, s.getDetail)
	perm("GET "+detailsPath, PermConversationDetailView, s.getDetails)
	perm("POST "+detailsPath+"/query", PermConversationDetailView, s.queryDetails)
	perm("POST "+detailsPath+"/jobs", PermConversationDetailView, s.submitJob)
	perm("GET "+detailsPath+"/jobs/availability", PermConversationDetailView, s.jobsAvailability)
	perm("GET "+detailsPath+"/jobs/{id}", PermConversationDetailView, s.jobStatus)
	perm("DELETE "+detailsPath+"/jobs/{id}", PermConversationDetailView, s.cancelJob)
	perm("GET "+detailsPath+"/jobs/{id}/results", PermConversationDetailView, s.jobResults)

	s.adminRoutes(mux)
	mux.HandleFunc("/", notFoundJSON)
	return mux
}

// require answers 403 unless the caller holds permission p.
func require(p string, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if c, _ := caller(r); !c.has(p) {
			writeError(w, http.StatusForbidden, "missing.permissions", "You are missing the following permission: "+p)
			return
		}
		next(w, r)
	}
}
