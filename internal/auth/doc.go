// Package auth knows atomdav's users: it checks a name and password
// against the configured hashes (bcrypt, or the other schemes of an
// Apache htpasswd file, see internal/htpasswd) and says which folder of the share
// the user sees and whether they may write. It speaks no HTTP; the server
// turns its answers into 401 and 429 responses.
//
// Login is the entry point for a request: it answers from a short cache of
// recent successful verifications, refuses an address that has failed too
// often (ErrRateLimited, with the time to wait in *RateLimitError), and
// otherwise verifies the password with bcrypt (Check).
//
// # Concurrency
//
// An Authenticator is safe for concurrent use. The user table is fixed at
// New; a reload makes a new Authenticator with Renew, which shares the
// failure limiter (a reload forgives no failure) and starts an empty
// cache, so a removed user's or an old password's cached logins end; the cache and the failure limiter each have their own mutex, never
// held during a bcrypt comparison. A login waiting for a token of its
// address waits only for that address's running comparisons.
//
// # Security
//
//   - Unknown names cost what known ones do: their password is compared
//     with a dummy bcrypt hash of the users' highest cost, so response
//     times do not reveal which names exist.
//   - Failed logins are counted per client address (IPv6 per /64) in a
//     token bucket: MaxFailures in a burst, then one more every
//     FailureWindow/MaxFailures. A blocked address is refused before its
//     password is looked at. A check reserves its token before bcrypt and
//     gives it back on success, so at most as many of an address's logins
//     are checked at once as it may still fail: of 30 guesses sent in
//     parallel, 5 are checked and 25 refused. The logins beyond those wait
//     for the running checks rather than fail, so a client opening many
//     connections with the right password is let in on all of them (the
//     later ones from the cache). The table of addresses is bounded
//     (MaxClients); an address with checks running is never dropped from
//     it.
//   - Successful verifications are remembered for CacheTTL (one minute)
//     under an HMAC-SHA256 of the name and password with a key drawn at
//     random per process; see cache.go for why this is safe.
//   - Users with a weak hash ({SHA}, apr1, MD5 crypt: accepted so that
//     existing htpasswd files work) are checked in microseconds, not in a
//     bcrypt's time: for them, response times do tell a known name from
//     an unknown one, as with Apache. bcrypt and SHA-crypt users do not.
//   - Passwords longer than 72 bytes are refused for bcrypt users (and for
//     unknown names), 1024 bytes for the others: bcrypt ignores every byte
//     after the 72nd, so accepting them would make different passwords
//     equal.
package auth
