//go:build unix && amd64 && !purego

#include "textflag.h"

// func specialBlocks(b []byte) int
TEXT ·specialBlocks(SB), NOSPLIT, $0-32
	MOVQ b_base+0(FP), SI
	MOVQ b_len+8(FP), BX
	ANDQ $~63, BX
	MOVQ SI, DI            // start of b, for the index
	LEAQ (SI)(BX*1), R8    // end of the whole blocks
	CMPQ SI, R8
	JEQ  none

	MOVQ $0x22, AX         // '"'
	MOVQ AX, X1
	VPBROADCASTB X1, Y1
	MOVQ $0x5c, AX         // '\\'
	MOVQ AX, X2
	VPBROADCASTB X2, Y2
	MOVQ $0x1f, AX         // the largest control character
	MOVQ AX, X3
	VPBROADCASTB X3, Y3

loop:
	VMOVDQU (SI), Y4
	VMOVDQU 32(SI), Y5
	VPCMPEQB Y4, Y1, Y6    // == '"'
	VPCMPEQB Y4, Y2, Y7    // == '\\'
	VPOR     Y7, Y6, Y6
	VPMINUB  Y4, Y3, Y7    // min(c, 0x1f) == c: c < 0x20
	VPCMPEQB Y4, Y7, Y7
	VPOR     Y7, Y6, Y6
	VPCMPEQB Y5, Y1, Y8
	VPCMPEQB Y5, Y2, Y9
	VPOR     Y9, Y8, Y8
	VPMINUB  Y5, Y3, Y9
	VPCMPEQB Y5, Y9, Y9
	VPOR     Y9, Y8, Y8
	VPOR     Y6, Y8, Y9
	VPTEST   Y9, Y9
	JNZ      found
	ADDQ     $64, SI
	CMPQ     SI, R8
	JNE      loop
	VZEROUPPER

none:
	MOVQ BX, ret+24(FP)
	RET

found:
	VPMOVMSKB Y6, AX
	VPMOVMSKB Y8, DX
	SHLQ      $32, DX
	ORQ       DX, AX
	BSFQ      AX, AX
	SUBQ      DI, SI
	ADDQ      SI, AX
	VZEROUPPER
	MOVQ      AX, ret+24(FP)
	RET
