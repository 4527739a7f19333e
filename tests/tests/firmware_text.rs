//! The firmware and the host run the same model, seed and sampling calls
//! (`firmware-example/src/{bigram,textgen}.rs`, shared by path), so the text the
//! Cortex-M4F prints under QEMU (scalar backend, thumbv7em) must equal the text
//! generated here (the best x86 backend).

#[path = "../../firmware-example/src/bigram.rs"]
mod bigram;
#[path = "../../firmware-example/src/textgen.rs"]
mod textgen;

const CORPUS: &str = include_str!("../../firmware-example/text/corpus.txt");

fn host_text() -> String {
    let model = bigram::build(CORPUS);
    let mut out = vec![0u8; textgen::LENGTH];
    textgen::generate(
        &model.vocab,
        |i| model.logits.get(i).map(|r| r.as_slice()),
        &mut out,
    )
    .unwrap();
    String::from_utf8(out).unwrap()
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

#[test]
#[ignore = "needs the firmware's output: firmware-example/check.sh runs it with FIRMWARE_OUTPUT set"]
fn firmware_prints_the_same_text() {
    let path =
        std::env::var("FIRMWARE_OUTPUT").expect("FIRMWARE_OUTPUT: path of the firmware's output");
    let output = std::fs::read_to_string(path).unwrap();
    let text = output
        .split("--- text ---\n")
        .nth(1)
        .and_then(|rest| rest.split("\n--- end ---").next())
        .expect("the output holds the text between its markers");
    assert_eq!(text, host_text());
}
