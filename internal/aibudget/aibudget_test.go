package aibudget

import (
	"strings"
	"sync"
	"testing"
)

func TestTakeRequests(t *testing.T) {
	b := New(10, 0)
	var wg sync.WaitGroup
	var mu sync.Mutex
	granted := 0
	for range 50 {
		wg.Go(func() {
			if b.Take() {
				mu.Lock()
				granted++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if r, _ := b.Spent(); granted != 10 || r != 10 {
		t.Fatalf("granted %d, spent %d; want 10", granted, r)
	}
}

func TestTakeTokens(t *testing.T) {
	b := New(0, 100)
	if !b.Take() {
		t.Fatal("first request refused")
	}
	b.AddTokens(60)
	if !b.Take() {
		t.Fatal("refused under the bound")
	}
	b.AddTokens(60)
	if b.Take() {
		t.Fatal("granted over the token bound")
	}
}

func TestNilAndParse(t *testing.T) {
	var none *Budget
	if !none.Take() || none.Skipped() != 0 {
		t.Fatal("a nil budget grants everything")
	}
	none.Skip()
	none.AddTokens(5)
	b := New(0, 0)
	for range 1000 {
		if !b.Take() {
			t.Fatal("no limits refused a request")
		}
	}
	b.Cap(0, -1, "the daily AI limit of user bob")
	if b.Take() || !strings.Contains(b.Warning(), "daily AI limit of user bob") {
		t.Fatalf("a cap of 0 must refuse: %s", b.Warning())
	}
	for in, ok := range map[string]bool{"0": true, "12": true, "-1": false, "x": false, "": false} {
		if _, err := ParseLimit("modelsql.ai.max_requests", in); (err == nil) != ok {
			t.Errorf("%q: %v", in, err)
		}
	}
	w := New(3, 0)
	w.Skip()
	if !strings.Contains(w.Warning(), "max_requests = 3): 1 rows were left NULL") {
		t.Errorf("warning: %s", w.Warning())
	}
}
