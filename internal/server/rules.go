package server

import (
	"github.com/atomdav/atomdav/internal/access"
	"github.com/atomdav/atomdav/internal/config"
)

// rules compiles the access rules of a view whose root is root: all, the
// configuration's top-level rules (paths of the share), and own, a user's
// (paths relative to root). Config.Validate has checked them; an access
// it would refuse is taken as none, failing closed.
func rules(all []config.Rule, root string, own []config.Rule) *access.Table {
	return access.Compile(accessRules(all), root, accessRules(own))
}

func accessRules(rules []config.Rule) []access.Rule {
	out := make([]access.Rule, len(rules))
	for i, r := range rules {
		l, _ := access.ParseLevel(r.Access) // None when unknown
		out[i] = access.Rule{Path: r.Path, Level: l}
	}
	return out
}
