package llm

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// MediaType is the kind of unstructured data given to an MLLM.
type MediaType string

const (
	MediaImage MediaType = "IMAGE"
	MediaAudio MediaType = "AUDIO"
	MediaVideo MediaType = "VIDEO"
)

// ParseMediaType parses the type argument of AI_GENERATE ('IMAGE',
// 'AUDIO', 'VIDEO', any case).
func ParseMediaType(s string) (MediaType, error) {
	switch t := MediaType(strings.ToUpper(strings.TrimSpace(s))); t {
	case MediaImage, MediaAudio, MediaVideo:
		return t, nil
	}
	return "", &Error{Class: ClassInvalidArgument, Message: excerpt("type must be 'IMAGE', 'AUDIO' or 'VIDEO', got " + quote(s))}
}

// Media is the unstructured input of an MLLM call: either URL (with Type) or
// Data (raw bytes, sent as a base64 data URL; the media type is sniffed from
// the bytes unless MIME is set; Type defaults to IMAGE).
type Media struct {
	Type MediaType
	URL  string
	Data []byte
	MIME string
}

// SniffMIME returns the media type of b: net/http.DetectContentType plus
// TIFF, AVIF and HEIC signatures it does not know.
func SniffMIME(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("II*\x00")), bytes.HasPrefix(b, []byte("MM\x00*")):
		return "image/tiff"
	case len(b) >= 12 && string(b[4:8]) == "ftyp":
		switch string(b[8:12]) {
		case "avif", "avis":
			return "image/avif"
		case "heic", "heix", "heim", "heis", "mif1", "msf1":
			return "image/heic"
		}
	}
	ct := http.DetectContentType(b)
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return ct
}

// contentPart builds the OpenAI-style content part for m.
func (m Media) contentPart(audioURLPart string) (map[string]any, error) {
	t := m.Type
	if t == "" {
		t = MediaImage
	}
	if (m.URL == "") == (m.Data == nil) {
		return nil, &Error{Class: ClassInvalidArgument, Message: "media needs exactly one of a URL or binary data"}
	}
	if m.URL != "" {
		u, err := url.Parse(m.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "oss" && u.Scheme != "data") {
			return nil, &Error{Class: ClassInvalidArgument, Message: excerpt("media URL must be an http(s), oss or data URL, got " + quote(redactURL(m.URL)))}
		}
		switch t {
		case MediaImage:
			return map[string]any{"type": "image_url", "image_url": map[string]any{"url": m.URL}}, nil
		case MediaVideo:
			return map[string]any{"type": "video_url", "video_url": map[string]any{"url": m.URL}}, nil
		case MediaAudio:
			if audioURLPart == "audio_url" {
				return map[string]any{"type": "audio_url", "audio_url": map[string]any{"url": m.URL}}, nil
			}
			return map[string]any{"type": "input_audio", "input_audio": map[string]any{"data": m.URL, "format": audioFormat(u.Path, "")}}, nil
		}
		return nil, &Error{Class: ClassInvalidArgument, Message: excerpt("unknown media type " + quote(string(t)))}
	}

	if len(m.Data) == 0 {
		return nil, &Error{Class: ClassInvalidArgument, Message: "binary media data is empty"}
	}
	mime := m.MIME
	if mime == "" {
		mime = SniffMIME(m.Data)
	}
	major, _, _ := strings.Cut(mime, "/")
	want := strings.ToLower(string(t))
	if major != want && !(t == MediaAudio && mime == "application/ogg") && !(t == MediaVideo && mime == "application/ogg") {
		return nil, &Error{Class: ClassInvalidArgument, Message: excerpt("binary data is not a recognised " + want + " (detected " + mime + ")")}
	}
	b64 := base64.StdEncoding.EncodeToString(m.Data)
	switch t {
	case MediaImage:
		return map[string]any{"type": "image_url", "image_url": map[string]any{"url": "data:" + mime + ";base64," + b64}}, nil
	case MediaVideo:
		return map[string]any{"type": "video_url", "video_url": map[string]any{"url": "data:" + mime + ";base64," + b64}}, nil
	default:
		return map[string]any{"type": "input_audio", "input_audio": map[string]any{"data": b64, "format": audioFormat("", mime)}}, nil
	}
}

// audioFormat guesses the input_audio "format" from a path or MIME type.
func audioFormat(p, mime string) string {
	switch mime {
	case "audio/wave", "audio/wav", "audio/x-wav":
		return "wav"
	case "audio/mpeg":
		return "mp3"
	case "audio/aiff":
		return "aiff"
	case "application/ogg":
		return "ogg"
	}
	if ext := strings.TrimPrefix(strings.ToLower(path.Ext(p)), "."); ext != "" && len(ext) <= 5 {
		return ext
	}
	return "mp3"
}

func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return "'" + s + "'"
}
