package eventbridge

import (
	"encoding/json"
	"fmt"
)

// mustUnmarshal decodes JSON this package produced itself.
func mustUnmarshal(b []byte, v any) {
	if err := json.Unmarshal(b, v); err != nil {
		panic(fmt.Sprintf("eventbridge: decode own %T: %v", v, err))
	}
}
