package config

import (
	"reflect"
	"strconv"
	"strings"
	"time"
)

// notOption reports whether the ATOMDAV_ variable name is not an option
// although it has the prefix: ATOMDAV_CONFIG (the file's path) and the
// knobs of this repository's tests and benchmarks, ATOMDAV_TEST_*,
// ATOMDAV_BENCH_* and ATOMDAV_ARTIFACTS, which a server started by
// make test inherits. Every other ATOMDAV_ variable must name an option.
func notOption(name string) bool {
	return name == EnvPrefix+"CONFIG" || name == EnvPrefix+"ARTIFACTS" ||
		strings.HasPrefix(name, EnvPrefix+"TEST_") || strings.HasPrefix(name, EnvPrefix+"BENCH_")
}

// envName is the variable of the key: max-upload-bytes is
// ATOMDAV_MAX_UPLOAD_BYTES.
func envName(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, "-", "_"))
}

// envKeys are the keys the environment may set, by variable name: every
// key of Config but those holding structures or maps (users live in the
// file).
func envKeys() (names []string, types map[string]reflect.Type) {
	keyNames, keyTypes := keys(reflect.TypeFor[Config]())
	types = map[string]reflect.Type{}
	for _, k := range keyNames {
		t := keyTypes[k]
		if t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if (t.Kind() == reflect.Struct && t != durationType) || t.Kind() == reflect.Map {
			continue
		}
		names = append(names, envName(k))
		types[envName(k)] = keyTypes[k]
	}
	return names, types
}

// checkEnv checks the ATOMDAV_ variables of environ as checkFile checks
// the file: each must name an option and hold a value of its kind.
func checkEnv(environ []string) error {
	names, types := envKeys()
	var errs []error
	fail := func(kind error, name, msg string) {
		errs = append(errs, &KeyError{Where: "environment", Key: name, Msg: msg, Kind: kind})
	}
	for _, kv := range environ {
		name, v, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, EnvPrefix) || notOption(name) {
			continue
		}
		t, ok := types[name]
		if !ok {
			fail(ErrUnknownKey, name, "no option has this variable"+didYouMean(name, names, func(s string) string { return s }))
			continue
		}
		if t.Kind() == reflect.Slice {
			t = t.Elem()
			for item := range strings.SplitSeq(v, ",") {
				if msg := envValue(t, item); msg != "" {
					fail(ErrBadValue, name, msg)
				}
			}
			continue
		}
		if msg := envValue(t, v); msg != "" {
			fail(ErrBadValue, name, msg)
		}
	}
	return joinLine(errs)
}

// envValue returns what is wrong with v as a value of type t, or "".
func envValue(t reflect.Type, v string) string {
	var err error
	switch {
	case t == durationType:
		if _, err = time.ParseDuration(v); err != nil {
			return strconv.Quote(v) + " is not a duration: write a number with a unit, e.g. 30s or 2m"
		}
		return ""
	case t.Kind() == reflect.Bool:
		if v != "true" && v != "false" {
			return strconv.Quote(v) + " is not true or false"
		}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		_, err = strconv.ParseInt(v, 10, t.Bits())
	case t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uint64:
		_, err = strconv.ParseUint(v, 10, t.Bits())
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		_, err = strconv.ParseFloat(v, t.Bits())
	}
	if err != nil {
		return strconv.Quote(v) + " is not " + kindName(t)
	}
	return ""
}

// envKey maps ATOMDAV_MAX_UPLOAD_BYTES to the key max-upload-bytes, and
// variables that are not options to "" (koanf then skips them); lists are
// comma-separated.
func envKey(k, v string) (string, any) {
	if notOption(k) {
		return "", nil
	}
	key := strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(k, EnvPrefix)), "_", "-")
	if _, types := envKeys(); types[k] != nil && types[k].Kind() == reflect.Slice {
		return key, strings.Split(v, ",")
	}
	return key, v
}

func lookup(environ []string, name string) string {
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v
		}
	}
	return ""
}
