package thingsgraph

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
)

// Pagination tokens are opaque to callers: base64url of a 8-byte offset and
// the first 8 bytes of a SHA-256 over the operation and its query (every
// request member but nextToken and maxResults). A token is therefore stable
// for a query, survives a change of maxResults, and a token of another
// query is refused with InvalidRequestException. [INF] the model documents
// nextToken only as a string.
//
// Divergence: the offset indexes the current result list, so entries added
// or removed between pages shift later pages (AWS does not document its
// consistency either).

type pageQuery struct {
	op   string
	hash [8]byte
}

func newPageQuery(op string, query any) pageQuery {
	b, _ := json.Marshal(query)
	h := sha256.New()
	h.Write([]byte(op))
	h.Write([]byte{0})
	h.Write(b)
	var q pageQuery
	q.op = op
	copy(q.hash[:], h.Sum(nil))
	return q
}

func (q pageQuery) token(offset int) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(offset))
	copy(b[8:], q.hash[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// offset decodes a nextToken; "" is the first page.
func (q pageQuery) offset(token *string) (int, error) {
	if token == nil || *token == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*token)
	if err != nil || len(b) != 16 {
		return 0, invalidRequest("nextToken %q is not a token this service issued", *token)
	}
	var h [8]byte
	copy(h[:], b[8:])
	if h != q.hash {
		return 0, invalidRequest("nextToken was issued for a different %s query; repeat the request that returned it", q.op)
	}
	off := binary.BigEndian.Uint64(b[:8])
	if off > 1<<31 {
		return 0, invalidRequest("nextToken %q is not a token this service issued", *token)
	}
	return int(off), nil
}

// page cuts one page out of n results and returns [from, to) and the next
// token ("" on the last page).
func (q pageQuery) page(n int, token *string, maxResults *int64) (from, to int, next string, err error) {
	size, err := validateMaxResults(maxResults)
	if err != nil {
		return 0, 0, "", err
	}
	from, err = q.offset(token)
	if err != nil {
		return 0, 0, "", err
	}
	if from > n {
		from = n
	}
	to = from + size
	if to >= n {
		return from, n, "", nil
	}
	return from, to, q.token(to), nil
}

// pageOut adds nextToken to a response when there is one.
func pageOut(out map[string]any, next string) map[string]any {
	if next != "" {
		out["nextToken"] = next
	}
	return out
}
