package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/collm/collm/maac/tokenizer"
)

func init() {
	register(&command{
		name:    "tokenize",
		summary: "show the token ids and pieces of a text (--tokenizer DIR|tokenizer.json|bytes; --chat: as a user message in the model's chat template), or decode --ids",
		run:     runTokenize,
	})
}

func runTokenize(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("tokenize", stderr)
	tokPath := fs.String("tokenizer", "bytes", "a model directory with tokenizer.json, a tokenizer.json file, or \"bytes\" for the byte-level tokenizer")
	text := fs.String("text", "", "the text to encode (or give it as arguments)")
	ids := fs.String("ids", "", "comma-separated ids to decode instead of encoding a text")
	chat := fs.Bool("chat", false, "render the text as a user message with the chat template of the --tokenizer model directory and the generation prompt (as agents with chat_template: true read prompts), and show that rendering and its tokens")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	var tok tokenizer.Tokenizer
	if *tokPath == "bytes" {
		tok = tokenizer.NewByteLevel()
	} else if tok, err = tokenizer.Load(*tokPath); err != nil {
		return err
	}

	if *chat && *ids != "" {
		return usageErrorf("--chat renders a text; it does not go with --ids")
	}
	if *chat && *tokPath == "bytes" {
		return usageErrorf("--chat needs --tokenizer DIR, a model directory whose tokenizer_config.json has a chat template")
	}

	if *ids != "" {
		if *text != "" || len(pos) > 0 {
			return usageErrorf("give either --ids or a text, not both")
		}
		var list []int
		for _, f := range strings.Split(*ids, ",") {
			id, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || id < 0 || id >= tok.VocabSize() {
				return usageErrorf("--ids: %q is not an id in [0, %d)", f, tok.VocabSize())
			}
			list = append(list, id)
		}
		fmt.Fprintf(stdout, "%q\n", tok.Decode(list))
		return nil
	}

	if len(pos) > 0 {
		if *text != "" {
			return usageErrorf("give the text either with --text or as arguments")
		}
		*text = strings.Join(pos, " ")
	}
	if *text == "" {
		return usageErrorf("no text: use --text T or --ids 1,2,3")
	}
	if *chat {
		tmpl, err := tokenizer.LoadChatTemplate(*tokPath)
		if err != nil {
			return err
		}
		if *text, err = tmpl.RenderPrompt(*text); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "chat template: %s\nrendered prompt (%d bytes):\n%s", tmpl.Path, len(*text), *text)
		if !strings.HasSuffix(*text, "\n") {
			fmt.Fprintln(stdout)
		}
		fmt.Fprintln(stdout)
	}
	enc := tok.Encode(*text)
	fmt.Fprintf(stdout, "%d tokens (vocabulary %d, EOS %d, pad %d)\n", len(enc), tok.VocabSize(), tok.EOS(), tok.Pad())
	for _, id := range enc {
		fmt.Fprintf(stdout, "%8d  %q\n", id, tok.Decode([]int{id}))
	}
	return nil
}
