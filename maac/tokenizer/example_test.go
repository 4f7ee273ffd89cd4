package tokenizer_test

import (
	"fmt"

	"github.com/collm/collm/maac/tokenizer"
)

func ExampleNewByteLevel() {
	tok := tokenizer.NewByteLevel()
	ids := tok.Encode("Hi!<|endoftext|>")
	fmt.Println(ids, tok.VocabSize(), tok.EOS())
	fmt.Printf("%q\n", tok.Decode(ids))
	// Output:
	// [72 105 33 256] 257 256
	// "Hi!<|endoftext|>"
}

func ExampleLoad() {
	// A directory with tokenizer.json (here a small Qwen2-style file), or the file itself.
	tok, err := tokenizer.Load("testdata/tiny-qwen")
	if err != nil {
		fmt.Println(err)
		return
	}
	ids := tok.Encode("Hello world<|endoftext|>")
	fmt.Println(ids)
	fmt.Printf("%q\n", tok.Decode(ids))
	// Output:
	// [72 101 297 111 476 335 656]
	// "Hello world<|endoftext|>"
}

func ExampleLoadChatTemplate() {
	// A checkpoint directory whose tokenizer_config.json has a "chat_template" (Qwen2.5's here).
	chat, err := tokenizer.LoadChatTemplate("testdata/chat/qwen2.5")
	if err != nil {
		fmt.Println(err)
		return
	}
	text, err := chat.Render([]tokenizer.Message{{Role: "user", Content: "What is 2+2?"}}, true)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(text)
	// Output:
	// <|im_start|>system
	// You are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>
	// <|im_start|>user
	// What is 2+2?<|im_end|>
	// <|im_start|>assistant
}
