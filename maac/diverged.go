package maac

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/collm/collm/maac/lm"
)

// DivergedError stops training when an agent's or a critic's numbers turn NaN or infinite: its
// logits while sampling, a loss or gradient, or its weights after an optimizer step (see
// lm.NonFiniteError). The update that met them does not complete, so no OnUpdate hook (and so no
// checkpoint written by one) sees its weights; the trainer's weights may be non-finite and must
// not be saved: continue from the last checkpoint instead.
type DivergedError struct {
	// Update is the 1-based number of the update that met the numbers.
	Update int
	// Scope is the diverged model's scope: agent_<i>, critic (cc) or critic_<i> (dc).
	Scope string
	// Fix says which setting to change.
	Fix string
	Err *lm.NonFiniteError
}

func (e *DivergedError) Error() string {
	return fmt.Sprintf("%s: non-finite %s at update %d; training stopped before the update completed, so no checkpoint holds its weights; %s",
		describeScope(e.Scope), e.Err.What, e.Update, e.Fix)
}

func (e *DivergedError) Unwrap() error { return e.Err }

// describeScope names the model of a scope for people: "agent 1 (scope agent_1)".
func describeScope(scope string) string {
	if n, ok := strings.CutPrefix(scope, "agent_"); ok {
		if _, err := strconv.Atoi(n); err == nil {
			return fmt.Sprintf("agent %s (scope %s)", n, scope)
		}
	}
	if n, ok := strings.CutPrefix(scope, "critic_"); ok {
		return fmt.Sprintf("the critic of agent %s (scope %s)", n, scope)
	}
	if scope == "critic" {
		return "the critic (scope critic)"
	}
	return "scope " + scope
}

// diverged turns an error that met non-finite numbers during update t.update+1 into a
// *DivergedError that says how to avoid them; other errors pass unchanged.
func (t *Trainer) diverged(err error) error {
	var nf *lm.NonFiniteError
	if !errors.As(err, &nf) {
		return err
	}
	scope := strings.Trim(nf.Scope, "/")
	fix := fmt.Sprintf("lower actor_lr (now %g)", t.common.ActorLR)
	if strings.HasPrefix(scope, "critic") {
		fix = fmt.Sprintf("lower critic_lr (now %g)", t.criticLR())
	}
	if t.common.MaxGradNorm == 0 {
		fix += ", set max_grad_norm (e.g. 1.0) to clip the gradients"
	}
	// Huge rewards overflow float32 returns and value losses whatever the learning rate.
	fix += ", or shrink the rewards (reward_shift, kl_beta)"
	return &DivergedError{Update: t.update + 1, Scope: scope, Fix: fix, Err: nf}
}

// criticLR is the critics' learning rate (0 for an algorithm without critics).
func (t *Trainer) criticLR() float64 {
	switch {
	case t.config.CC != nil:
		return t.config.CC.CriticLR
	case t.config.DC != nil:
		return t.config.DC.CriticLR
	}
	return 0
}
