package shell_test

import (
	"fmt"

	"github.com/spawnkit/spawnkit/shell"
)

func ExampleQuote() {
	fmt.Println(shell.Quote("report.txt"))
	fmt.Println(shell.Quote("my file.txt"))
	fmt.Println(shell.Quote("it's $HOME"))
	fmt.Println(shell.Quote(""))
	fmt.Println(shell.Quote("FOO=bar"))
	// Output:
	// report.txt
	// 'my file.txt'
	// 'it'\''s $HOME'
	// ''
	// 'FOO=bar'
}

func ExampleJoin() {
	user := "x; rm -rf ~"
	fmt.Println("grep -F -- " + shell.Join([]string{user, "/var/log/app.log"}))
	// Output:
	// grep -F -- 'x; rm -rf ~' /var/log/app.log
}

func ExampleSplit() {
	args, err := shell.Split(`cp -v "My Documents/a b.txt" 'C:\tmp' # copy it`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%q\n", args)

	_, err = shell.Split(`echo "unclosed`)
	fmt.Println(err)
	// Output:
	// ["cp" "-v" "My Documents/a b.txt" "C:\\tmp"]
	// shell: unterminated quote: the double quote at byte 5 of "echo \"unclosed" is never closed
}

func ExampleLex() {
	toks, err := shell.Lex(`grep -c 'a|b' *.log 2>/dev/null | sort`)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range toks {
		kind := "word"
		if t.Kind == shell.Operator {
			kind = "operator"
		}
		fmt.Printf("%-8s %-13q at %2d, expansions %d\n", kind, t.Text, t.Pos, len(t.Expansions))
	}
	// Output:
	// word     "grep"        at  0, expansions 0
	// word     "-c"          at  5, expansions 0
	// word     "a|b"         at  8, expansions 0
	// word     "*.log"       at 14, expansions 1
	// word     "2"           at 20, expansions 0
	// operator ">"           at 21, expansions 0
	// word     "/dev/null"   at 22, expansions 0
	// operator "|"           at 32, expansions 0
	// word     "sort"        at 34, expansions 0
}
