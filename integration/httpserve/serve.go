// Package httpserve runs the test stand-ins' HTTP servers and stops them
// without waiting on connections that carry nothing: a stand-in's stop must
// neither cut a request short nor hang on a client that dialled and left.
package httpserve

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// shutdownWithin bounds a graceful stop: long enough for an answer being
// written, far shorter than a test's patience.
const shutdownWithin = 5 * time.Second

// Serve answers on l with h until ctx ends, then calls beforeStop (which
// ends whatever waits on its own, such as long polls), closes the
// connections that never sent a request and shuts the server down.
func Serve(ctx context.Context, l net.Listener, h http.Handler, beforeStop func()) error {
	return serve(ctx, l, h, beforeStop, shutdownWithin)
}

func serve(ctx context.Context, l net.Listener, h http.Handler, beforeStop func(), within time.Duration) error {
	fresh := newFreshConns()
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ConnState: fresh.track}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(l) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	if beforeStop != nil {
		beforeStop()
	}
	fresh.closeAll()
	sctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	err := hs.Shutdown(sctx)
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}
