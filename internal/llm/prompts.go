package llm

import (
	"encoding/json"
	"strings"
)

// Task names a fixed prompt template.
type Task string

const (
	TaskGenerate   Task = "generate" // the user's prompt, sent as is
	TaskClassify   Task = "classify"
	TaskExtract    Task = "extract"
	TaskSummarize  Task = "summarize"
	TaskTranslate  Task = "translate"
	TaskSentiment  Task = "sentiment"
	TaskSimilarity Task = "similarity" // the chat-judged form of AI_SIMILARITY
)

// The first line of each template identifies it (ParsePrompt relies on it).
const (
	classifyHeader   = "You are a text classifier. Classify the text between <text> and </text> into exactly one of these labels:"
	extractHeader    = "You are an information extraction system. Extract these fields from the text between <text> and </text>:"
	summarizeHeader  = "You are a summarization system. Summarize the text between <text> and </text> concisely, in the language of the text."
	translateHeader  = "You are a translation system. Translate the text between <text> and </text> into this language:"
	sentimentHeader  = "You are a sentiment analysis system. Classify the overall sentiment of the text between <text> and </text> as one of:"
	similarityHeader = "You are a semantic similarity system. Rate how similar in meaning the text between <text1> and </text1> and the text between <text2> and </text2> are."

	classifyRule   = `Reply with only a JSON object {"label": "<label>"} whose value is copied exactly from the list. Do not explain.`
	extractRule    = `Reply with only a JSON object that has exactly these fields as keys, each value being the text found for the field, or null when the text does not contain it. Do not explain.`
	summarizeRule  = `Reply with the summary only.`
	translateRule  = `Reply with the translation only.`
	sentimentRule  = `Reply with only a JSON object {"sentiment": "<sentiment>"} whose value is one of the list. Do not explain.`
	similarityRule = `Reply with only a JSON object {"score": <number>} where the number is between 0 (unrelated) and 1 (same meaning). Do not explain.`
)

// SentimentLabels are the answers of Sentiment.
var SentimentLabels = []string{"positive", "negative", "neutral", "mixed"}

func jsonLine(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func textBlock(tag, s string) string { return "<" + tag + ">\n" + s + "\n</" + tag + ">" }

// ClassifyPrompt is the prompt of AI_CLASSIFY.
func ClassifyPrompt(input string, labels []string) string {
	return classifyHeader + "\n" + jsonLine(labels) + "\n" + classifyRule + "\n" + textBlock("text", input)
}

// ExtractPrompt is the prompt of AI_EXTRACT.
func ExtractPrompt(input string, labels []string) string {
	return extractHeader + "\n" + jsonLine(labels) + "\n" + extractRule + "\n" + textBlock("text", input)
}

// SummarizePrompt is the prompt of AI_SUMMARIZE.
func SummarizePrompt(input string) string {
	return summarizeHeader + "\n" + summarizeRule + "\n" + textBlock("text", input)
}

// TranslatePrompt is the prompt of AI_TRANSLATE.
func TranslatePrompt(input, target string) string {
	return translateHeader + "\n" + jsonLine(target) + "\n" + translateRule + "\n" + textBlock("text", input)
}

// SentimentPrompt is the prompt of AI_SENTIMENT.
func SentimentPrompt(input string) string {
	return sentimentHeader + "\n" + jsonLine(SentimentLabels) + "\n" + sentimentRule + "\n" + textBlock("text", input)
}

// SimilarityPrompt is the prompt of AI_SIMILARITY on a generation model.
func SimilarityPrompt(a, b string) string {
	return similarityHeader + "\n" + similarityRule + "\n" + textBlock("text1", a) + "\n" + textBlock("text2", b)
}

// ParsedPrompt is a prompt decoded by ParsePrompt.
type ParsedPrompt struct {
	Task   Task
	Labels []string // classify, extract, sentiment
	Target string   // translate
	Input  string   // the text (classify … sentiment), or the whole prompt (generate)
	Input2 string   // similarity: the second text
}

// ParsePrompt recognises the task templates above (used by the test server
// to answer them); any other text is TaskGenerate with Input = prompt.
func ParsePrompt(prompt string) ParsedPrompt {
	gen := ParsedPrompt{Task: TaskGenerate, Input: prompt}
	header, rest, ok := strings.Cut(prompt, "\n")
	if !ok {
		return gen
	}
	argLine := func() (string, bool) {
		a, r, ok := strings.Cut(rest, "\n")
		rest = r
		return a, ok
	}
	var p ParsedPrompt
	switch header {
	case classifyHeader, extractHeader, sentimentHeader:
		p.Task = map[string]Task{classifyHeader: TaskClassify, extractHeader: TaskExtract, sentimentHeader: TaskSentiment}[header]
		a, ok := argLine()
		if !ok || json.Unmarshal([]byte(a), &p.Labels) != nil {
			return gen
		}
	case translateHeader:
		p.Task = TaskTranslate
		a, ok := argLine()
		if !ok || json.Unmarshal([]byte(a), &p.Target) != nil {
			return gen
		}
	case summarizeHeader:
		p.Task = TaskSummarize
	case similarityHeader:
		p.Task = TaskSimilarity
		_, after, ok := strings.Cut(rest, "\n<text1>\n")
		if !ok {
			return gen
		}
		a, b, ok := strings.Cut(after, "\n</text1>\n<text2>\n")
		if !ok || !strings.HasSuffix(b, "\n</text2>") {
			return gen
		}
		p.Input, p.Input2 = a, strings.TrimSuffix(b, "\n</text2>")
		return p
	default:
		return gen
	}
	_, after, ok := strings.Cut(rest, "\n<text>\n")
	if !ok || !strings.HasSuffix(after, "\n</text>") {
		return gen
	}
	p.Input = strings.TrimSuffix(after, "\n</text>")
	return p
}
