package bench

import (
	"context"
	"strconv"

	"github.com/spawnkit/spawnkit/pipeline"
)

// PipelineSpawnkit runs `head -c SIZE /dev/zero | cat | wc -c` with package
// pipeline (New, three Command stages, Output).
func PipelineSpawnkit(ctx context.Context, size int64) error {
	out, err := pipeline.New(
		pipeline.Command("head", "-c", strconv.FormatInt(size, 10), "/dev/zero"),
		pipeline.Command("cat"),
		pipeline.Command("wc", "-c"),
	).Output(ctx)
	if err != nil {
		return err
	}
	return checkCount(out, size)
}

// PipelineParsed is PipelineSpawnkit built with pipeline.Parse from the
// shell line itself.
func PipelineParsed(ctx context.Context, size int64) error {
	p, err := pipeline.Parse(PipelineLine(size))
	if err != nil {
		return err
	}
	out, err := p.Output(ctx)
	if err != nil {
		return err
	}
	return checkCount(out, size)
}

func init() {
	extraVariants["pipeline"] = append(extraVariants["pipeline"], Variant{Name: ImplSpawnkit, Op: bytesOp(PipelineSpawnkit)})
	extraPipelineBench[ImplSpawnkit] = PipelineSpawnkit
	extraPipelineBench["parse"] = PipelineParsed
}
