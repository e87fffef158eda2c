package web

import (
	"github.com/gin-gonic/gin"

	"github.com/vendrule/vendrule/engine/vouchers"
	"github.com/vendrule/vendrule/models"
)

// registerCodePatternRoutes registers the check of a campaign's code pattern.
func registerCodePatternRoutes(managers *gin.RouterGroup) {
	managers.POST("/campaigns/codepattern/check", checkCodePattern)
}

// checkCodePattern answers the odds of a code pattern for a number of
// vouchers, or the 400 that creating such a campaign would answer, so that
// a manager can choose before creating.
func checkCodePattern(c *gin.Context) {
	var p models.CodePattern
	if err := decode(c, &p); err != nil {
		fail(c, err)
		return
	}
	odds, err := vouchers.CheckCodePattern(p)
	respond(c, odds, err)
}
