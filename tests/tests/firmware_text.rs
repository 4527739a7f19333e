//! The firmware and the host run the same model, seed and sampling calls
//! (`firmware-example/src/{bigram,textgen}.rs`, shared by path), so the text
//! each MCU family prints under QEMU (scalar backend: Cortex-M4F and Cortex-M33
//! with a single-precision FPU, Cortex-M0 in soft float, RISC-V RV32IMAC in
//! soft float) must equal the text generated here (the best x86 backend).

#[path = "../../firmware-example/src/bigram.rs"]
mod bigram;
#[path = "../../firmware-example/src/textgen.rs"]
mod textgen;

const CORPUS: &str = include_str!("../../firmware-example/text/corpus.txt");

fn host_text() -> String {
    let model = bigram::build(CORPUS);
    let mut out = String::new();
    textgen::generate(
        &model.vocab,
        |i| model.logits.get(i).map(|r| r.as_slice()),
        &mut out,
    )
    .unwrap();
    out
}

#[test]
fn host_generation_is_text_of_the_model() {
    let model = bigram::build(CORPUS);
    let text = host_text();
    assert_eq!(text.len(), textgen::LENGTH);
    assert!(text.bytes().all(|c| model.vocab.contains(&c)));
    // Every step is a pair the corpus contains (impossible pairs have -inf logits).
    let bytes = text.as_bytes();
    for pair in bytes.windows(2) {
        let (a, b) = (
            model.vocab.iter().position(|&v| v == pair[0]).unwrap(),
            model.vocab.iter().position(|&v| v == pair[1]).unwrap(),
        );
        assert!(
            model.logits[a][b].is_finite(),
            "pair {:?} never occurs",
            std::str::from_utf8(pair)
        );
    }
    assert_eq!(host_text(), text, "seeded generation is reproducible");
    // The alias histogram's weights: one count per symbol of the normalised text.
    let total: f32 = model.unigram.iter().sum();
    assert_eq!(total as usize, bigram::normalise(CORPUS).len());
}

/// A text buffer that holds `capacity` characters, like the firmware's
/// `heapless::String`, and refuses the next one.
struct Bounded {
    text: String,
    capacity: usize,
}

impl std::fmt::Write for Bounded {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if self.text.len() + s.len() > self.capacity {
            return Err(std::fmt::Error);
        }
        self.text.push_str(s);
        Ok(())
    }
}

#[test]
fn a_full_text_buffer_is_an_error_not_a_truncated_text() {
    let model = bigram::build(CORPUS);
    let mut out = Bounded {
        text: String::new(),
        capacity: 10,
    };
    let result = textgen::generate(
        &model.vocab,
        |i| model.logits.get(i).map(|r| r.as_slice()),
        &mut out,
    );
    assert_eq!(
        result,
        Err(logit_sampler::SampleError::CapacityExceeded {
            len: textgen::LENGTH,
            capacity: 10
        })
    );
    assert_eq!(out.text, host_text()[..10]);
}

#[test]
#[ignore = "needs the firmware's output: firmware-example/check.sh runs it with FIRMWARE_OUTPUT set"]
fn firmware_prints_the_same_text() {
    let paths = std::env::var("FIRMWARE_OUTPUT")
        .expect("FIRMWARE_OUTPUT: paths of the firmware's outputs, separated by ':'");
    let host = host_text();
    let mut checked = 0;
    for path in paths.split(':').filter(|p| !p.is_empty()) {
        let output =
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
        let banner = output.lines().next().unwrap_or_default();
        let text = output
            .split("--- text ---\n")
            .nth(1)
            .and_then(|rest| rest.split("\n--- end ---").next())
            .unwrap_or_else(|| panic!("{path} holds no text between the markers"));
        assert_eq!(text, host, "{path} ({banner}) differs from the host's text");
        println!("same text as the host: {banner}");
        checked += 1;
    }
    assert!(checked > 0, "FIRMWARE_OUTPUT names no file");
}
