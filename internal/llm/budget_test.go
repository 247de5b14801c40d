package llm_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/modelsql/modelsql/internal/llm"
	"github.com/modelsql/modelsql/internal/membudget"
)

// bigAnswers serves chat answers of size bytes of content, announcing their
// length or (chunked) not.
func bigAnswers(t *testing.T, size int, chunked bool) string {
	t.Helper()
	body := `{"choices":[{"message":{"role":"assistant","content":"` + strings.Repeat("a", size) + `"},"finish_reason":"stop"}]}`
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !chunked {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		}
		w.Header().Set("Content-Type", "application/json")
		for i := 0; i < len(body); i += 32 << 10 {
			w.Write([]byte(body[i:min(i+32<<10, len(body))]))
			if f, ok := w.(http.Flusher); ok && chunked {
				f.Flush()
			}
		}
	}))
	t.Cleanup(hs.Close)
	return hs.URL
}

func budgetClient(t *testing.T, url string, b *membudget.Budget, kv ...string) *llm.Client {
	t.Helper()
	ep, err := llm.EndpointFromOptions(openaiOpts(url, append([]string{"MAX_CONCURRENCY", "64"}, kv...)...))
	if err != nil {
		t.Fatal(err)
	}
	ep.Model = fmt.Sprintf("proj.default.m%d", modelSeq.Add(1))
	ep.Version = "v1"
	c, err := llm.NewClient(ep, llm.WithBudget(b))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Many concurrent large answers together never hold more than the budget
// (measured as the bytes reserved, not RSS); each still arrives whole.
func TestAnswersStayWithinBudget(t *testing.T) {
	const answer = 1 << 20
	for _, chunked := range []bool{false, true} {
		b := membudget.New(4 << 20)
		c := budgetClient(t, bigAnswers(t, answer, chunked), b, "MAX_ATTEMPTS", "1")
		var wg sync.WaitGroup
		var mu sync.Mutex
		var failed []error
		for range 48 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := c.Chat(context.Background(), llm.ChatRequest{Prompt: "hi"})
				if err == nil && len(res.Content) != answer {
					err = fmt.Errorf("answer of %d bytes", len(res.Content))
				}
				if err != nil {
					mu.Lock()
					failed = append(failed, err)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if b.Peak() > b.Limit() || b.Peak() < answer || b.Used() != 0 {
			t.Fatalf("chunked=%v: peak %d bytes reserved of a %d budget, %d still reserved", chunked, b.Peak(), b.Limit(), b.Used())
		}
		// All arrive: a waiting reader of an announced length holds
		// nothing; one of unknown length refused under contention
		// finishes through a temporary file.
		for _, err := range failed {
			t.Errorf("chunked=%v: %v", chunked, err)
		}
		t.Logf("chunked=%v: peak %d of %d, %d spilled", chunked, b.Peak(), b.Limit(), b.Spills())
	}
}

// One answer larger than the whole budget fails clearly, without retries.
func TestAnswerLargerThanBudget(t *testing.T) {
	for _, chunked := range []bool{false, true} {
		b := membudget.New(512 << 10)
		c := budgetClient(t, bigAnswers(t, 1<<20, chunked), b)
		_, err := c.Chat(context.Background(), llm.ChatRequest{Prompt: "hi"})
		var e *llm.Error
		if !errors.As(err, &e) || e.Attempts != 1 || !strings.Contains(err.Error(), "more than the whole of the memory budget for buffered answers and downloads (512 KiB") {
			t.Fatalf("chunked=%v: %v", chunked, err)
		}
		if b.Used() != 0 {
			t.Fatalf("chunked=%v: %d bytes still reserved", chunked, b.Used())
		}
	}
}
