package pool

import "fmt"

// maxNesting is how deep a task or a result may nest: encoding/json, which
// decodes the envelope that carries it (one level more) on the other side,
// refuses more than 10,000 levels. A deeper value was sent and then dropped
// as undecodable, and its Submit waited for ever.
const maxNesting = 10000 - 1

// checkNesting returns an error when the JSON text b nests arrays and
// objects deeper than maxNesting levels. b is valid JSON (encoding/json's
// output). Text shorter than two bytes a level cannot be that deep, so
// small values cost nothing.
func checkNesting(b []byte) error {
	if len(b) <= 2*maxNesting {
		return nil
	}
	depth, inString := 0, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '[', '{':
			if depth++; depth > maxNesting {
				return fmt.Errorf("nests deeper than %d levels (encoding/json's limit of 10,000 less the pool's envelope)", maxNesting)
			}
		case ']', '}':
			depth--
		}
	}
	return nil
}
