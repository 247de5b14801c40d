package llm

import (
	"fmt"
	"strings"

	"github.com/modelsql/modelsql/internal/outputschema"
)

// Options of a REMOTE version that freeze how the model is called, so that
// a version (and an alias naming it) is reproducible: the system prompt,
// the prompt template and default model parameters. Changing one means
// adding a version. modelsql's own options, not MaxCompute's.
const (
	// OptSystemPrompt is sent as a system message before AI_GENERATE's prompt.
	OptSystemPrompt = "SYSTEM_PROMPT"
	// OptPromptTemplate wraps AI_GENERATE's prompt: PromptPlaceholder is
	// replaced by it.
	OptPromptTemplate = "PROMPT_TEMPLATE"
	// OptModelParameters is a JSON object of default model_parameters; the
	// per-call model_parameters win key by key.
	OptModelParameters = "MODEL_PARAMETERS"
)

// PromptPlaceholder is where PROMPT_TEMPLATE puts the function's input.
const PromptPlaceholder = "{input}"

// maxFrozenText bounds SYSTEM_PROMPT, PROMPT_TEMPLATE and MODEL_PARAMETERS.
const maxFrozenText = 64 << 10

// frozenOptionKeys are the keys above, for ExtensionOptionKeys.
var frozenOptionKeys = []string{OptSystemPrompt, OptPromptTemplate, OptModelParameters, OptOutputSchema, OptFallback}

// parseFrozen reads the frozen-call options into e.
func parseFrozen(o map[string]string, e *Endpoint) error {
	for _, k := range frozenOptionKeys {
		if v, ok := o[k]; ok {
			if strings.TrimSpace(v) == "" {
				return fmt.Errorf("%s is empty; leave the option out instead", k)
			}
			if len(v) > maxFrozenText {
				return fmt.Errorf("%s is %d bytes; at most %d are allowed", k, len(v), maxFrozenText)
			}
		}
	}
	e.SystemPrompt = o[OptSystemPrompt]
	if t, ok := o[OptPromptTemplate]; ok {
		if !strings.Contains(t, PromptPlaceholder) {
			return fmt.Errorf("%s must contain %s, where the function's input goes", OptPromptTemplate, PromptPlaceholder)
		}
		e.PromptTemplate = t
	}
	if v, ok := o[OptOutputSchema]; ok {
		t, err := outputschema.Parse(v)
		if err != nil {
			return fmt.Errorf("%s: %w", OptOutputSchema, err)
		}
		e.Output = t
	}
	if v, ok := o[OptModelParameters]; ok {
		p, err := ParseParams(v)
		if err == nil && p[ParamOutputSchema] != nil {
			return fmt.Errorf("%s: give the output type as the option %s", OptModelParameters, OptOutputSchema)
		}
		if err != nil {
			msg := err.Error()
			if le, ok := AsError(err); ok {
				msg = le.Message
			}
			return fmt.Errorf("%s: %s", OptModelParameters, msg)
		}
		e.Params = p
	}
	return nil
}

// ApplyTemplate puts prompt into the version's PROMPT_TEMPLATE (every
// PromptPlaceholder is replaced), or returns it unchanged without one.
func (e Endpoint) ApplyTemplate(prompt string) string {
	if e.PromptTemplate == "" {
		return prompt
	}
	return strings.ReplaceAll(e.PromptTemplate, PromptPlaceholder, prompt)
}

// Over returns p on top of defaults: p's keys win, key by key. Neither is
// changed.
func (p Params) Over(defaults Params) Params {
	if len(defaults) == 0 {
		return p
	}
	q := make(Params, len(p)+len(defaults))
	for k, v := range defaults {
		q[k] = v
	}
	for k, v := range p {
		q[k] = v
	}
	return q
}
