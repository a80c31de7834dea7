package dav

import (
	"net/http"
	"time"
)

// httpDate is t as http.TimeFormat spells it in UTC ("Mon, 02 Jan 2006
// 15:04:05 GMT"): GET's Last-Modified and PROPFIND's getlastmodified,
// written for every file answered. It is appendHTTPDate into a string.
func httpDate(t time.Time) string {
	var buf [len(http.TimeFormat)]byte
	return string(appendHTTPDate(buf[:0], t))
}

// appendHTTPDate appends t as httpDate spells it. It fills the fixed
// layout itself rather than through time.Format, which parses the layout
// on every call, a tenth of a PROPFIND's listing of plain files. Years of
// other than four digits go through time.Format, as they spell differently.
func appendHTTPDate(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, http.TimeFormat)
	}
	hour, min, sec := t.Clock()
	b = append(b, t.Weekday().String()[:3]...)
	b = append(b, ',', ' ')
	b = append2(b, day)
	b = append(b, ' ')
	b = append(b, month.String()[:3]...)
	b = append(b, ' ')
	b = append2(b, year/100)
	b = append2(b, year%100)
	b = append(b, ' ')
	b = append2(b, hour)
	b = append(b, ':')
	b = append2(b, min)
	b = append(b, ':')
	b = append2(b, sec)
	return append(b, " GMT"...)
}

// appendRFC3339 appends t in UTC as time.RFC3339 spells it
// ("2006-01-02T15:04:05Z"), for creationdate, by the same means and with
// the same exception as appendHTTPDate.
func appendRFC3339(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, time.RFC3339)
	}
	hour, min, sec := t.Clock()
	b = append2(b, year/100)
	b = append2(b, year%100)
	b = append(b, '-')
	b = append2(b, int(month))
	b = append(b, '-')
	b = append2(b, day)
	b = append(b, 'T')
	b = append2(b, hour)
	b = append(b, ':')
	b = append2(b, min)
	b = append(b, ':')
	b = append2(b, sec)
	return append(b, 'Z')
}

// append2 appends n (0 to 99) in two digits.
func append2(b []byte, n int) []byte {
	return append(b, byte('0'+n/10), byte('0'+n%10))
}
