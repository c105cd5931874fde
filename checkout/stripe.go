package checkout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/stripe/stripe-go/v76"
	stripeclient "github.com/stripe/stripe-go/v76/client"
)

// StripePayments implements Payments with Stripe PaymentIntents (the app
// confirms the intent with its client secret through Stripe's mobile SDK;
// the gateway learns the outcome from the signed webhook or by asking).
type StripePayments struct {
	api           *stripeclient.API
	webhookSecret string
}

// StripeConfig configures StripePayments.
type StripeConfig struct {
	// SecretKey is the API key (sk_live_..., sk_test_...). Required.
	SecretKey string
	// WebhookSecret is the endpoint's signing secret (whsec_...). Required.
	WebhookSecret string
	// BaseURL overrides the API address (stripe-mock in tests); empty is
	// Stripe.
	BaseURL string
	// HTTPClient overrides the HTTP client; nil is Stripe's default.
	HTTPClient *http.Client
	// Logger receives stripe-go's own messages (failed requests and its
	// retries) as structured records; nil discards them.
	Logger *slog.Logger
}

// NewStripePayments validates cfg and returns the implementation.
func NewStripePayments(cfg StripeConfig) (*StripePayments, error) {
	if cfg.SecretKey == "" {
		return nil, errors.New("stripe config: SecretKey is empty")
	}
	if cfg.WebhookSecret == "" {
		return nil, errors.New("stripe config: WebhookSecret is empty")
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	bc := &stripe.BackendConfig{HTTPClient: cfg.HTTPClient, MaxNetworkRetries: stripe.Int64(2),
		LeveledLogger: stripeLogger{logger.With("component", "stripe")}}
	if cfg.BaseURL != "" {
		bc.URL = stripe.String(cfg.BaseURL)
	}
	backends := &stripe.Backends{
		API:     stripe.GetBackendWithConfig(stripe.APIBackend, bc),
		Connect: stripe.GetBackendWithConfig(stripe.ConnectBackend, bc),
		Uploads: stripe.GetBackendWithConfig(stripe.UploadsBackend, bc),
	}
	return &StripePayments{api: stripeclient.New(cfg.SecretKey, backends), webhookSecret: cfg.WebhookSecret}, nil
}

var _ Payments = (*StripePayments)(nil)

// stripeLogger hands stripe-go's printf-style messages to slog, so a
// gateway's log stays one structured stream.
type stripeLogger struct{ l *slog.Logger }

func (s stripeLogger) Debugf(format string, v ...any) { s.l.Debug(fmt.Sprintf(format, v...)) }
func (s stripeLogger) Infof(format string, v ...any)  { s.l.Info(fmt.Sprintf(format, v...)) }
func (s stripeLogger) Warnf(format string, v ...any)  { s.l.Warn(fmt.Sprintf(format, v...)) }
func (s stripeLogger) Errorf(format string, v ...any) { s.l.Error(fmt.Sprintf(format, v...)) }

func (s *StripePayments) Name() string { return "stripe" }

func toIntent(pi *stripe.PaymentIntent) Intent {
	in := Intent{ID: pi.ID, ClientSecret: pi.ClientSecret, Status: IntentPending, OrderID: pi.Metadata["order_id"]}
	switch pi.Status {
	case stripe.PaymentIntentStatusSucceeded:
		in.Status = IntentSucceeded
	case stripe.PaymentIntentStatusCanceled:
		in.Status = IntentCanceled
	}
	return in
}

// stripeErr maps Stripe errors onto the gateway's sentinels.
func stripeErr(op string, err error) error {
	var se *stripe.Error
	if errors.As(err, &se) {
		switch {
		case se.HTTPStatusCode == http.StatusNotFound:
			return fmt.Errorf("stripe %s: %w: %v", op, ErrMissing, err)
		case se.HTTPStatusCode == http.StatusTooManyRequests || se.HTTPStatusCode >= 500:
			return fmt.Errorf("stripe %s: %w: %v", op, ErrUnavailable, err)
		}
	}
	return fmt.Errorf("stripe %s: %w", op, err)
}

func (s *StripePayments) CreateIntent(ctx context.Context, req IntentRequest) (Intent, error) {
	params := &stripe.PaymentIntentParams{
		Amount:                  stripe.Int64(req.AmountCents),
		Currency:                stripe.String(strings.ToLower(req.Currency)),
		AutomaticPaymentMethods: &stripe.PaymentIntentAutomaticPaymentMethodsParams{Enabled: stripe.Bool(true)},
		Description:             stripe.String("Boxoffice order " + req.OrderID),
	}
	params.Context = ctx
	params.SetIdempotencyKey(req.IdempotencyKey)
	params.AddMetadata("order_id", req.OrderID)
	params.AddMetadata("event_id", req.EventID)
	params.AddMetadata("buyer", req.Buyer)
	pi, err := s.api.PaymentIntents.New(params)
	if err != nil {
		return Intent{}, stripeErr("create payment intent", err)
	}
	in := toIntent(pi)
	if in.OrderID == "" {
		in.OrderID = req.OrderID
	}
	return in, nil
}

func (s *StripePayments) GetIntent(ctx context.Context, id string) (Intent, error) {
	params := &stripe.PaymentIntentParams{}
	params.Context = ctx
	pi, err := s.api.PaymentIntents.Get(id, params)
	if err != nil {
		return Intent{}, stripeErr("get payment intent", err)
	}
	return toIntent(pi), nil
}

func (s *StripePayments) CancelIntent(ctx context.Context, id, key string) (Intent, error) {
	params := &stripe.PaymentIntentCancelParams{}
	params.Context = ctx
	params.SetIdempotencyKey(key)
	pi, err := s.api.PaymentIntents.Cancel(id, params)
	if err != nil {
		var se *stripe.Error
		if errors.As(err, &se) && se.Code == stripe.ErrorCodePaymentIntentUnexpectedState {
			// Cancelling is refused in a final state: ask which one.
			in, getErr := s.GetIntent(ctx, id)
			if getErr == nil && in.Status == IntentSucceeded {
				return in, ErrIntentSucceeded
			}
			if getErr == nil && in.Status == IntentCanceled {
				return in, nil
			}
		}
		return Intent{}, stripeErr("cancel payment intent", err)
	}
	return toIntent(pi), nil
}

func (s *StripePayments) Refund(ctx context.Context, id, key string) error {
	params := &stripe.RefundParams{PaymentIntent: stripe.String(id)}
	params.Context = ctx
	params.SetIdempotencyKey(key)
	if _, err := s.api.Refunds.New(params); err != nil {
		var se *stripe.Error
		if errors.As(err, &se) && se.Code == stripe.ErrorCodeChargeAlreadyRefunded {
			return nil
		}
		return stripeErr("refund", err)
	}
	return nil
}

func (s *StripePayments) ParseWebhook(body []byte, header http.Header) (PaymentEvent, error) {
	return parseStripeEvent(body, header, s.webhookSecret)
}
