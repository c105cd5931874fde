package fakestripe

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v76"
)

// idempotencyKeysMax bounds the remembered Idempotency-Keys (Stripe keeps
// them a day); a keyed request past it is refused with 503 and logged.
const idempotencyKeysMax = 200_000

// savedResponse is the first answer to an Idempotency-Key.
type savedResponse struct {
	fingerprint string // method, path and parameters of the first request
	status      int
	body        []byte
}

// apiRequest is an authenticated API request.
type apiRequest struct {
	method, path   string
	pathID         string // {id} in the path
	params         url.Values
	requestID      string // req_…
	idempotencyKey string
	publishable    bool // authenticated by a publishable key and, to be valid, a client secret
}

// response is a handler's answer.
type response struct {
	status int
	body   any
	// keep: the endpoint ran, so an idempotent retry gets this answer
	// again. Refusals of malformed requests are not kept, as at Stripe.
	keep bool
}

func ok(object any) response { return response{http.StatusOK, object, true} }

func refused(status int, e errorObject) response {
	return response{status, map[string]any{"error": e}, true}
}

func invalid(code, param, message string) response {
	return response{http.StatusBadRequest, map[string]any{"error": errorObject{
		Type: string(stripe.ErrorTypeInvalidRequest), Code: code, Param: param, Message: message}}, false}
}

func unavailable(message string) response {
	return response{http.StatusServiceUnavailable, map[string]any{"error": errorObject{
		Type: string(stripe.ErrorTypeAPI), Message: message}}, false}
}

func (s *Server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /v1/payment_intents", s.endpoint(s.createIntent, false))
	mux.Handle("GET /v1/payment_intents/{id}", s.endpoint(s.getIntent, false))
	mux.Handle("POST /v1/payment_intents/{id}/cancel", s.endpoint(s.cancelIntent, false))
	mux.Handle("POST /v1/payment_intents/{id}/confirm", s.endpoint(s.confirmIntent, true))
	mux.Handle("POST /v1/refunds", s.endpoint(s.createRefund, false))
	mux.Handle("GET /v1/refunds/{id}", s.endpoint(s.getRefund, false))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, _ := json.Marshal(map[string]any{"error": errorObject{Type: string(stripe.ErrorTypeInvalidRequest),
			Message: fmt.Sprintf("Unrecognized request URL (%s: %s).", r.Method, r.URL.Path)}})
		writeAnswer(w, http.StatusNotFound, body, nil)
	})
	return mux
}

// apiKey is the key of a Bearer or Basic (key as user) Authorization.
func apiKey(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if key, found := strings.CutPrefix(h, "Bearer "); found {
		return strings.TrimSpace(key)
	}
	if enc, found := strings.CutPrefix(h, "Basic "); found {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
		if err == nil {
			user, _, _ := strings.Cut(string(raw), ":")
			return user
		}
	}
	return ""
}

// redactKey spells a key as Stripe's error messages do.
func redactKey(key string) string {
	if len(key) <= 8 {
		return strings.Repeat("*", len(key))
	}
	return key[:8] + strings.Repeat("*", len(key)-12) + key[len(key)-4:]
}

// endpoint wraps a handler with authentication, parameter parsing, the
// injected API faults and idempotency. The handler runs under s.mu.
func (s *Server) endpoint(h func(*apiRequest) response, publishableOK bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := &apiRequest{method: r.Method, path: r.URL.Path, pathID: r.PathValue("id"),
			idempotencyKey: strings.TrimSpace(r.Header.Get("Idempotency-Key"))}
		key := apiKey(r)
		switch {
		case key != "" && key == s.opts.SecretKey:
		case publishableOK && strings.HasPrefix(key, "pk_"):
			req.publishable = true
		default:
			message := "You did not provide an API key."
			if key != "" {
				message = "Invalid API Key provided: " + redactKey(key)
			}
			body, _ := json.Marshal(map[string]any{"error": errorObject{Type: string(stripe.ErrorTypeInvalidRequest), Message: message}})
			writeAnswer(w, http.StatusUnauthorized, body, nil)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, requestBodyMax)
		if err := r.ParseForm(); err != nil {
			body, _ := json.Marshal(map[string]any{"error": errorObject{Type: string(stripe.ErrorTypeInvalidRequest),
				Message: "The request body could not be decoded as application/x-www-form-urlencoded."}})
			writeAnswer(w, http.StatusBadRequest, body, nil)
			return
		}
		req.params = r.Form

		s.mu.Lock()
		select {
		case <-s.done:
			s.mu.Unlock()
			return
		default:
		}
		s.stats["api_requests"]++
		f := s.faults
		req.requestID = s.newID("req_")
		if s.chance(f.ErrorRate) {
			s.stats["api_errors_injected"]++
			s.mu.Unlock()
			body, _ := json.Marshal(map[string]any{"error": errorObject{Type: string(stripe.ErrorTypeAPI),
				Message: "An unknown error occurred while processing the request."}})
			writeAnswer(w, http.StatusInternalServerError, body, answerHeaders(req, false))
			return
		}
		lose := s.chance(f.LostResponseRate)
		if lose {
			s.stats["lost_responses_injected"]++
		}
		if f.SlowResponse > 0 {
			s.stats["slow_responses_injected"]++
		}
		status, body, replayed := s.run(req, h)
		s.mu.Unlock()

		if f.SlowResponse > 0 {
			t := time.NewTimer(f.SlowResponse)
			select {
			case <-t.C:
			case <-r.Context().Done():
			}
			t.Stop()
		}
		if lose {
			// Carried out, but the client never hears: it must retry with
			// the same key to learn the answer.
			if hj, isHijacker := w.(http.Hijacker); isHijacker {
				if conn, _, err := hj.Hijack(); err == nil {
					_ = conn.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		}
		writeAnswer(w, status, body, answerHeaders(req, replayed))
	})
}

// run answers a request from the saved answer to its Idempotency-Key or
// by running the handler; s.mu must be held.
func (s *Server) run(req *apiRequest, h func(*apiRequest) response) (status int, body []byte, replayed bool) {
	keyed := req.method == http.MethodPost && req.idempotencyKey != ""
	fingerprint := req.method + " " + req.path + "\n" + req.params.Encode()
	if keyed {
		if len(req.idempotencyKey) > 255 {
			return encode(invalid("", "", "The Idempotency-Key header must be at most 255 characters long."))
		}
		if saved, found := s.saved[req.idempotencyKey]; found {
			if saved.fingerprint != fingerprint {
				s.stats["idempotency_conflicts"]++
				return encode(response{http.StatusBadRequest, map[string]any{"error": errorObject{
					Type: string(stripe.ErrorTypeIdempotency),
					Message: fmt.Sprintf("Keys for idempotent requests can only be used with the same parameters they were first used with. "+
						"Try using a key other than '%s' if you meant to execute a different request.", req.idempotencyKey)}}, false})
			}
			s.stats["idempotent_replays"]++
			return saved.status, saved.body, true
		}
		if len(s.saved) >= idempotencyKeysMax {
			s.logf("fakestripe: %d idempotency keys remembered (the bound): refusing a request with a new key", len(s.saved))
			return encode(unavailable("Too many idempotency keys are remembered; the request was not carried out."))
		}
	}
	resp := h(req)
	status, body, _ = encode(resp)
	if keyed && resp.keep {
		s.saved[req.idempotencyKey] = &savedResponse{fingerprint: fingerprint, status: status, body: body}
	}
	return status, body, false
}

func encode(resp response) (int, []byte, bool) {
	body, err := json.Marshal(resp.body)
	if err != nil {
		panic("fakestripe: an answer does not encode: " + err.Error())
	}
	return resp.status, body, false
}

func answerHeaders(req *apiRequest, replayed bool) http.Header {
	h := http.Header{}
	h.Set("Request-Id", req.requestID)
	h.Set("Stripe-Version", stripe.APIVersion)
	if req.idempotencyKey != "" {
		h.Set("Idempotency-Key", req.idempotencyKey)
	}
	if replayed {
		h.Set("Idempotent-Replayed", "true")
	}
	return h
}

func writeAnswer(w http.ResponseWriter, status int, body []byte, headers http.Header) {
	for k, v := range headers {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// unknownParam returns the first parameter that is neither one of names
// nor under one of prefixes ("metadata[").
func unknownParam(params url.Values, names []string, prefixes []string) string {
	for name := range params {
		known := false
		for _, n := range names {
			known = known || name == n
		}
		for _, p := range prefixes {
			known = known || strings.HasPrefix(name, p)
		}
		if !known {
			return name
		}
	}
	return ""
}

func unknownParamResponse(name string) response {
	return invalid(string(stripe.ErrorCodeParameterUnknown), name, fmt.Sprintf("Received unknown parameter: %s", name))
}

// metadataParam reads metadata[key]=value within Stripe's limits.
func metadataParam(params url.Values) (map[string]string, *response) {
	md := map[string]string{}
	for name, values := range params {
		key, found := strings.CutPrefix(name, "metadata[")
		if !found {
			continue
		}
		key, found = strings.CutSuffix(key, "]")
		if !found || key == "" || strings.ContainsAny(key, "[]") {
			r := invalid(string(stripe.ErrorCodeParameterUnknown), name, fmt.Sprintf("Received unknown parameter: %s", name))
			return nil, &r
		}
		if len(key) > 40 {
			r := invalid("", name, "Metadata keys can have up to 40 characters.")
			return nil, &r
		}
		v := values[len(values)-1]
		if len(v) > 500 {
			r := invalid("", name, "Metadata values can have up to 500 characters.")
			return nil, &r
		}
		md[key] = v
	}
	if len(md) > 50 {
		r := invalid("", "metadata", "An object can have up to 50 metadata keys.")
		return nil, &r
	}
	return md, nil
}

// intParam reads a positive integer parameter; absent is 0.
func intParam(params url.Values, name string) (int64, *response) {
	raw := params.Get(name)
	if raw == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n <= 0 {
		r := invalid(string(stripe.ErrorCodeParameterInvalidInteger), name, fmt.Sprintf("Invalid positive integer: %s", raw))
		return 0, &r
	}
	return n, nil
}

func dollars(cents int64) string { return fmt.Sprintf("$%d.%02d", cents/100, cents%100) }

func noSuch(kind, param, id string) response {
	r := invalid(string(stripe.ErrorCodeResourceMissing), param, fmt.Sprintf("No such %s: '%s'", kind, id))
	r.status = http.StatusNotFound
	return r
}

// amountDigitsMax is Stripe's bound on an amount: eight digits.
const amountDigitsMax = 99_999_999

func (s *Server) createIntent(req *apiRequest) response {
	if name := unknownParam(req.params, []string{"amount", "currency", "automatic_payment_methods[enabled]", "description", "payment_method"},
		[]string{"metadata[", "expand["}); name != "" {
		return unknownParamResponse(name)
	}
	if req.params.Get("amount") == "" {
		return invalid(string(stripe.ErrorCodeParameterMissing), "amount", "Missing required param: amount.")
	}
	amount, bad := intParam(req.params, "amount")
	if bad != nil {
		return *bad
	}
	if amount > amountDigitsMax {
		return invalid(string(stripe.ErrorCodeAmountTooLarge), "amount", "Amount must be no more than $999,999.99")
	}
	currency := req.params.Get("currency")
	if currency == "" {
		return invalid(string(stripe.ErrorCodeParameterMissing), "currency", "Missing required param: currency.")
	}
	if len(currency) != 3 || strings.Trim(currency, "abcdefghijklmnopqrstuvwxyz") != "" {
		return invalid("", "currency", fmt.Sprintf("Invalid currency: %s.", currency))
	}
	md, bad := metadataParam(req.params)
	if bad != nil {
		return *bad
	}
	in := &intent{id: s.newID("pi_"), amount: amount, currency: currency, description: req.params.Get("description"),
		metadata: md, status: statusRequiresPaymentMethod, created: time.Now().Unix()}
	in.clientSecret = in.id + "_secret_" + s.newID("")
	s.intents[in.id] = in
	s.intentOrder = append(s.intentOrder, in)
	return ok(in.object())
}

func (s *Server) getIntent(req *apiRequest) response {
	if name := unknownParam(req.params, []string{"client_secret"}, []string{"expand["}); name != "" {
		return unknownParamResponse(name)
	}
	in, found := s.intents[req.pathID]
	if !found {
		return noSuch("payment_intent", "intent", req.pathID)
	}
	return ok(in.object())
}

func unexpectedState(in *intent, action string) response {
	message := fmt.Sprintf("You cannot %s this PaymentIntent because it has a status of %s.", action, in.status)
	if action == "cancel" {
		message += " Only a PaymentIntent with one of the following statuses may be canceled: " +
			"requires_payment_method, requires_capture, requires_confirmation, requires_action, processing."
	}
	obj := in.object()
	return refused(http.StatusBadRequest, errorObject{Type: string(stripe.ErrorTypeInvalidRequest),
		Code: string(stripe.ErrorCodePaymentIntentUnexpectedState), Message: message, PaymentIntent: &obj})
}

var cancellationReasons = []string{"duplicate", "fraudulent", "requested_by_customer", "abandoned"}

func (s *Server) cancelIntent(req *apiRequest) response {
	if name := unknownParam(req.params, []string{"cancellation_reason"}, []string{"expand["}); name != "" {
		return unknownParamResponse(name)
	}
	reason := req.params.Get("cancellation_reason")
	if reason != "" && !slices.Contains(cancellationReasons, reason) {
		return invalid("", "cancellation_reason", fmt.Sprintf("Invalid cancellation_reason: must be one of %s", strings.Join(cancellationReasons, ", ")))
	}
	in, found := s.intents[req.pathID]
	if !found {
		return noSuch("payment_intent", "intent", req.pathID)
	}
	if in.status == statusSucceeded || in.status == statusCanceled {
		return unexpectedState(in, "cancel")
	}
	if !s.hasRoom(1) {
		return unavailable("The webhook queue is full; the request was not carried out.")
	}
	in.status, in.canceledAt, in.cancellationReason = statusCanceled, time.Now().Unix(), reason
	s.emit(in, "payment_intent.canceled", in.object(), req.requestID, req.idempotencyKey)
	return ok(in.object())
}

func (s *Server) confirmIntent(req *apiRequest) response {
	if name := unknownParam(req.params, []string{"client_secret", "payment_method", "return_url"},
		[]string{"expand[", "payment_method_data["}); name != "" {
		return unknownParamResponse(name)
	}
	in, found := s.intents[req.pathID]
	secret := req.params.Get("client_secret")
	if !found || (req.publishable && secret == "") || (secret != "" && secret != in.clientSecret) {
		if req.publishable || found {
			return invalid("", "client_secret", "The client_secret provided does not match any associated PaymentIntent on this account.")
		}
		return noSuch("payment_intent", "intent", req.pathID)
	}
	switch err := s.confirm(in, req.params.Get("payment_method"), req.requestID, req.idempotencyKey); {
	case errors.Is(err, ErrUnexpectedState):
		return unexpectedState(in, "confirm")
	case errors.Is(err, ErrQueueFull):
		return unavailable("The webhook queue is full; the request was not carried out.")
	case errors.Is(err, ErrDeclined):
		e := *in.lastError
		obj := in.object()
		e.PaymentIntent = &obj
		return refused(http.StatusPaymentRequired, e)
	}
	return ok(in.object())
}

// declinedPaymentMethods always decline, as Stripe's test cards do.
var declinedPaymentMethods = []string{"pm_card_chargeDeclined", "pm_card_visa_chargeDeclined"}

// confirm pays in, or by DeclineRate or a declining test card fails it;
// s.mu must be held.
func (s *Server) confirm(in *intent, paymentMethod, requestID, idempotencyKey string) error {
	if in.status == statusSucceeded || in.status == statusCanceled {
		return ErrUnexpectedState
	}
	if !s.hasRoom(1) {
		return ErrQueueFull
	}
	if slices.Contains(declinedPaymentMethods, paymentMethod) || s.chance(s.faults.DeclineRate) {
		in.declines++
		s.stats["declines"]++
		in.status, in.paymentMethod = statusRequiresPaymentMethod, ""
		in.lastError = &errorObject{Type: string(stripe.ErrorTypeCard), Code: string(stripe.ErrorCodeCardDeclined),
			DeclineCode: "generic_decline", Message: "Your card was declined."}
		s.emit(in, "payment_intent.payment_failed", in.object(), requestID, idempotencyKey)
		return ErrDeclined
	}
	in.status, in.paymentMethod, in.charge, in.lastError = statusSucceeded, s.newID("pm_"), s.newID("ch_"), nil
	s.charges[in.charge] = in
	s.emit(in, "payment_intent.succeeded", in.object(), requestID, idempotencyKey)
	return nil
}

// Confirm is the phone's Stripe.js step: it pays (or, by DeclineRate,
// fails) the intent with its client secret and answers the intent's
// status: succeeded (nil error), requires_payment_method (ErrDeclined), or
// for an intent already succeeded or canceled that status with
// ErrUnexpectedState. The API faults (errors, lost answers, slowness) are
// not applied here; they apply to the same step over HTTP,
// POST /v1/payment_intents/{id}/confirm.
func (s *Server) Confirm(ctx context.Context, intentID, clientSecret string) (status string, err error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.done:
		return "", ErrClosed
	default:
	}
	in, found := s.intents[intentID]
	if !found {
		return "", ErrNoSuchIntent
	}
	if clientSecret != in.clientSecret {
		return "", ErrBadClientSecret
	}
	err = s.confirm(in, "", "", "")
	return in.status, err
}

var refundReasons = []string{"duplicate", "fraudulent", "requested_by_customer"}

func (s *Server) createRefund(req *apiRequest) response {
	if name := unknownParam(req.params, []string{"payment_intent", "charge", "amount", "reason"},
		[]string{"metadata[", "expand["}); name != "" {
		return unknownParamResponse(name)
	}
	intentID, chargeID := req.params.Get("payment_intent"), req.params.Get("charge")
	if intentID == "" && chargeID == "" {
		return invalid(string(stripe.ErrorCodeParameterMissing), "payment_intent",
			"One of the following params should be provided for this request: payment_intent or charge.")
	}
	amount, bad := intParam(req.params, "amount")
	if bad != nil {
		return *bad
	}
	reason := req.params.Get("reason")
	if reason != "" && !slices.Contains(refundReasons, reason) {
		return invalid("", "reason", fmt.Sprintf("Invalid reason: must be one of %s", strings.Join(refundReasons, ", ")))
	}
	md, bad := metadataParam(req.params)
	if bad != nil {
		return *bad
	}
	var in *intent
	var found bool
	if intentID != "" {
		if in, found = s.intents[intentID]; !found {
			return noSuch("payment_intent", "payment_intent", intentID)
		}
		if chargeID != "" && chargeID != in.charge {
			return invalid("", "charge", fmt.Sprintf("The charge %s does not belong to the payment intent %s.", chargeID, intentID))
		}
	} else if in, found = s.charges[chargeID]; !found {
		return noSuch("charge", "charge", chargeID)
	}
	if in.charge == "" {
		return refused(http.StatusBadRequest, errorObject{Type: string(stripe.ErrorTypeInvalidRequest),
			Message: fmt.Sprintf("This PaymentIntent (%s) does not have a successful charge to refund.", in.id)})
	}
	remaining := in.amount - in.refunded
	if remaining == 0 {
		return refused(http.StatusBadRequest, errorObject{Type: string(stripe.ErrorTypeInvalidRequest),
			Code: string(stripe.ErrorCodeChargeAlreadyRefunded), Message: fmt.Sprintf("Charge %s has already been refunded.", in.charge)})
	}
	if amount == 0 {
		amount = remaining
	}
	if amount > remaining {
		return refused(http.StatusBadRequest, errorObject{Type: string(stripe.ErrorTypeInvalidRequest),
			Code: string(stripe.ErrorCodeAmountTooLarge), Param: "amount",
			Message: fmt.Sprintf("Refund amount (%s) is greater than unrefunded amount on charge (%s)", dollars(amount), dollars(remaining))})
	}
	if !s.hasRoom(1) {
		return unavailable("The webhook queue is full; the request was not carried out.")
	}
	rf := &refund{id: s.newID("re_"), amount: amount, intent: in, reason: reason, metadata: md, created: time.Now().Unix()}
	s.refunds[rf.id] = rf
	in.refunded += amount
	in.refunds = append(in.refunds, rf.id)
	s.emit(in, "charge.refunded", in.chargeObject(), req.requestID, req.idempotencyKey)
	return ok(rf.object())
}

func (s *Server) getRefund(req *apiRequest) response {
	if name := unknownParam(req.params, nil, []string{"expand["}); name != "" {
		return unknownParamResponse(name)
	}
	rf, found := s.refunds[req.pathID]
	if !found {
		return noSuch("refund", "id", req.pathID)
	}
	return ok(rf.object())
}
