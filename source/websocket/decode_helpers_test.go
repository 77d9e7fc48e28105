package websocket

// decodedFrame is a whole frame as walk handed it over, for tests.
type decodedFrame struct {
	events  []event
	rejects []rejected
	// calls is every callback in the order walk made them: the index into
	// events when >= 0, -1-i for rejects[i].
	calls   []int
	control control
}

// decodeAll walks frame, keeping everything.
func decodeAll(d decoder, frame []byte) decodedFrame {
	var f decodedFrame
	ctl, err := d.walk(frame,
		func(ev event) error {
			f.calls = append(f.calls, len(f.events))
			f.events = append(f.events, ev)
			return nil
		},
		func(r rejected) error {
			f.calls = append(f.calls, -1-len(f.rejects))
			f.rejects = append(f.rejects, r)
			return nil
		})
	if err != nil {
		panic(err) // the callbacks return none
	}
	f.control = ctl
	return f
}
