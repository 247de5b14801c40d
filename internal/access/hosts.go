package access

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/modelsql/modelsql/internal/catalog"
	"github.com/modelsql/modelsql/internal/objstore"
	"github.com/modelsql/modelsql/internal/parser"
)

// HostPattern is one entry of the server's --allow-host list: a host name or
// IP address, or "*.domain" for every name under domain, optionally with
// ":port" (without, any port); "*" allows every host.
type HostPattern struct{ host, port string }

// ParseHostPattern checks and parses an --allow-host value.
func ParseHostPattern(s string) (HostPattern, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "*" {
		return HostPattern{host: "*"}, nil
	}
	host, port := s, ""
	if h, p, err := net.SplitHostPort(s); err == nil {
		host, port = h, p
	} else if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		host = s[1 : len(s)-1]
	}
	name := strings.TrimPrefix(host, "*.")
	if name == "" || strings.ContainsAny(name, "*/?#@ ") || strings.Contains(s, "://") {
		return HostPattern{}, fmt.Errorf("--allow-host %q: want a host name or IP address, *.domain, or *, optionally with :port", s)
	}
	return HostPattern{host: host, port: port}, nil
}

func (p HostPattern) String() string {
	if p.port == "" {
		return p.host
	}
	return net.JoinHostPort(p.host, p.port)
}

func (p HostPattern) matches(host, port string) bool {
	if p.port != "" && p.port != port {
		return false
	}
	switch {
	case p.host == "*":
		return true
	case strings.HasPrefix(p.host, "*."):
		return strings.HasSuffix(host, p.host[1:])
	}
	return host == p.host
}

// hostPort returns the host (lower case, without brackets) and port (the
// scheme's default when absent) of an http(s) URL.
func hostPort(u *url.URL) (string, string) {
	port := u.Port()
	if port == "" {
		port = "80"
		if strings.EqualFold(u.Scheme, "https") {
			port = "443"
		}
	}
	return strings.TrimSuffix(strings.ToLower(u.Hostname()), "."), port
}

// checkHosts refuses, for non-administrators, an ENDPOINT or a LOCATION
// whose server is not on the --allow-host list (no list: every host).
func (g *Guard) checkHosts(admin bool, opts []parser.Option) error {
	if admin || g.allowHosts == nil {
		return nil
	}
	for _, o := range opts {
		var host, port string
		switch o.Key {
		case catalog.OptEndpoint:
			u, err := url.Parse(strings.TrimSpace(o.Value))
			if err != nil || u.Host == "" {
				continue // the session reports a malformed ENDPOINT
			}
			host, port = hostPort(u)
		case catalog.OptLocation:
			loc, err := objstore.ParseLocation(o.Value)
			if err != nil {
				continue // the session reports it
			}
			switch loc.Scheme {
			case objstore.SchemeHTTP, objstore.SchemeHTTPS:
				u, err := url.Parse(loc.URL)
				if err != nil {
					return deniedf("LOCATION: not a URL")
				}
				host, port = hostPort(u)
			case objstore.SchemeOSS:
				u := &url.URL{Scheme: "https", Host: loc.Endpoint}
				host, port = hostPort(u)
			default:
				continue // s3:// goes to the configured server; files are checked elsewhere
			}
		default:
			continue
		}
		if !g.hostAllowed(host, port) {
			return deniedf("%s: host %s is not one the server lets users reach (--allow-host: %s)", o.Key, net.JoinHostPort(host, port), g.allowedHostsText())
		}
	}
	return nil
}

func (g *Guard) hostAllowed(host, port string) bool {
	for _, p := range g.allowHosts {
		if p.matches(host, port) {
			return true
		}
	}
	return false
}

func (g *Guard) allowedHostsText() string {
	if len(g.allowHosts) == 0 {
		return "none"
	}
	var out []string
	for _, p := range g.allowHosts {
		out = append(out, p.String())
	}
	return strings.Join(out, ", ")
}
