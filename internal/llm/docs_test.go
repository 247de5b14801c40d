package llm

import (
	"os"
	"strings"
	"testing"
)

// TestDocsShowTemplates keeps docs/ai-functions.md in step with the prompt
// templates.
func TestDocsShowTemplates(t *testing.T) {
	b, err := os.ReadFile("../../docs/ai-functions.md")
	if err != nil {
		t.Skip("docs not found:", err)
	}
	doc := string(b)
	for name, p := range map[string]string{
		"classify":   ClassifyPrompt("{input}", []string{"tech", "sports", "finance"}),
		"extract":    ExtractPrompt("{input}", []string{"name", "age"}),
		"summarize":  SummarizePrompt("{input}"),
		"translate":  TranslatePrompt("{input}", "French"),
		"sentiment":  SentimentPrompt("{input}"),
		"similarity": SimilarityPrompt("{input1}", "{input2}"),
	} {
		if !strings.Contains(doc, "```\n"+p+"\n```") {
			t.Errorf("docs/ai-functions.md does not show the %s template verbatim:\n%s", name, p)
		}
	}
}
