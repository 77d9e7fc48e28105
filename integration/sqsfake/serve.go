package sqsfake

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// Serve answers SQS requests on l until ctx ends, then ends the long polls
// (Close) and shuts the HTTP server down. It is how a demo or a test outside
// this package runs the stand-in; the endpoint is "http://" + l.Addr().
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(l) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	s.Close()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := hs.Shutdown(sctx)
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}
