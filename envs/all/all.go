// Package all registers every built-in environment: import it for its side effects,
//
//	import _ "github.com/collm/collm/envs/all"
//
// and envs.List, envs.New and `collm envs` see them all.
package all

import (
	_ "github.com/collm/collm/envs/building" // strbuild, housebuild, strbuild-mini, housebuild-mini
	_ "github.com/collm/collm/envs/coding"   // humaneval, mbpp, coding-mini
	_ "github.com/collm/collm/envs/toy"      // toy-coord
	_ "github.com/collm/collm/envs/writing"  // tldr, arxiv, writing-mini
)
