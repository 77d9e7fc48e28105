package sqsfake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"strings"
)

// Receipt handles carry what they were issued for (queue, message copy,
// receive number) under an HMAC with a per-server secret: the server needs
// no table of issued handles, so its memory follows the live messages only,
// and a handle it never issued is told apart from one of a deleted message.

const handlePrefix = "AQEB" // as SQS's handles begin

type handle struct {
	queue, msg uint64
	receive    uint32
}

func (s *Server) newHandle(h handle) string {
	var b [20 + 16]byte
	binary.BigEndian.PutUint64(b[0:], h.queue)
	binary.BigEndian.PutUint64(b[8:], h.msg)
	binary.BigEndian.PutUint32(b[16:], h.receive)
	mac := hmac.New(sha256.New, s.secret[:])
	mac.Write(b[:20])
	copy(b[20:], mac.Sum(nil))
	return handlePrefix + base64.StdEncoding.EncodeToString(b[:])
}

// parseHandle returns what s issued h for, or false for a handle s never
// issued.
func (s *Server) parseHandle(str string) (handle, bool) {
	rest, ok := strings.CutPrefix(str, handlePrefix)
	if !ok {
		return handle{}, false
	}
	b, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(b) != 36 {
		return handle{}, false
	}
	mac := hmac.New(sha256.New, s.secret[:])
	mac.Write(b[:20])
	if !hmac.Equal(mac.Sum(nil)[:16], b[20:]) {
		return handle{}, false
	}
	return handle{queue: binary.BigEndian.Uint64(b[0:]), msg: binary.BigEndian.Uint64(b[8:]),
		receive: binary.BigEndian.Uint32(b[16:])}, true
}

// resolveLocked finds the message copy h names in q: nil if it was deleted
// since. A handle not issued for q is invalid.
func (s *Server) resolveLocked(q *queue, str string) (h handle, m *message, e *apiError) {
	h, ok := s.parseHandle(str)
	if !ok || h.queue != q.serial {
		return h, nil, errReceiptHandleIsInvalid(str)
	}
	return h, q.live[h.msg], nil
}
