package sqsfake

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/analytics-bridge/analytics-bridge/integration/httpserve"
)

// Serve answers SQS requests on l until ctx ends, then ends the long polls
// (Close) and shuts the HTTP server down. It is how a demo or a test outside
// this package runs the stand-in; the endpoint is "http://" + l.Addr().
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	return httpserve.Serve(ctx, l, s, s.Close)
}

// ServeLoopback serves s on a free port of 127.0.0.1 until stop, and
// returns its endpoint ("http://127.0.0.1:port"). stop ends the long polls,
// shuts the server down and returns what Serve ended with.
func (s *Server) ServeLoopback() (endpoint string, stop func() error, err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listening for the SQS stand-in: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, l) }()
	return "http://" + l.Addr().String(), func() error {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("stopping the SQS stand-in: %w", err)
		}
		return nil
	}, nil
}
