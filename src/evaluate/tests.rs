//! Metrics on small confusions whose numbers were worked out by hand (in the comments).

use super::*;

fn t(class: Option<&str>, label: Option<&str>) -> Tag {
    Tag { class: class.map(str::to_string), label: label.map(str::to_string), confidence: Some(0.5) }
}
fn cl(c: &str, l: &str) -> Tag {
    t(Some(c), Some(l))
}
fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-9, "{a} != {b}");
}
fn check(s: &Scores, p: f64, r: f64, f1: f64, support: u64) {
    close(s.precision, p);
    close(s.recall, r);
    close(s.f1, f1);
    assert_eq!(s.support, support);
}

#[test]
fn absa_detection_and_joint_by_hand() {
    let gold = vec![
        vec![cl("food", "POS"), cl("service", "NEG")],
        vec![cl("price", "NEG")],
        vec![],
        vec![cl("food", "NEG")],
    ];
    let pred = vec![
        vec![cl("food", "POS"), cl("service", "POS")],
        vec![],
        vec![cl("ambience", "POS")],
        vec![cl("food", "NEG"), cl("price", "NEG")],
    ];
    let m = score(ModelType::Absa, &gold, &pred).unwrap();
    // Detection: food tp 2; service tp 1; price fn 1 fp 1; ambience fp 1.
    check(&m.classes["food"], 1.0, 1.0, 1.0, 2);
    check(&m.classes["service"], 1.0, 1.0, 1.0, 1);
    check(&m.classes["price"], 0.0, 0.0, 0.0, 1);
    check(&m.classes["ambience"], 0.0, 0.0, 0.0, 0);
    let det = m.detection.unwrap();
    check(&det.micro, 0.6, 0.75, 2.0 / 3.0, 4); // tp 3, fp 2, fn 1
    check(&det.macro_avg, 0.5, 0.5, 0.5, 4);
    // Joint: POS tp 1 (food) fp 2 (service, ambience); NEG tp 1 (food) fp 1 (price) fn 2.
    check(&m.labels["POS"], 1.0 / 3.0, 1.0, 0.5, 1);
    check(&m.labels["NEG"], 0.5, 1.0 / 3.0, 0.4, 3);
    assert!(!m.labels.contains_key("NEU"));
    check(&m.micro_avg.unwrap(), 0.4, 0.5, 4.0 / 9.0, 4); // tp 2, fp 3, fn 2
    check(&m.macro_avg.unwrap(), (1.0 / 3.0 + 0.5) / 2.0, (1.0 + 1.0 / 3.0) / 2.0, 0.45, 4);
    // Gold tags whose class was found: food/POS right, service/NEG wrong, food/NEG right.
    close(m.accuracy.unwrap(), 2.0 / 3.0);
    assert_eq!(m.segments, Some(4));
    close(headline(&m).unwrap(), 4.0 / 9.0);
}

#[test]
fn label_by_hand() {
    let l = |s: &str| vec![t(None, Some(s))];
    let gold = vec![l("a"), l("a"), l("b"), l("c")];
    let pred = vec![l("a"), l("b"), l("b"), vec![]];
    let m = score(ModelType::Label, &gold, &pred).unwrap();
    check(&m.labels["a"], 1.0, 0.5, 2.0 / 3.0, 2);
    check(&m.labels["b"], 0.5, 1.0, 2.0 / 3.0, 1);
    check(&m.labels["c"], 0.0, 0.0, 0.0, 1);
    check(&m.micro_avg.unwrap(), 2.0 / 3.0, 0.5, 4.0 / 7.0, 4); // tp 2, fp 1, fn 2
    check(&m.macro_avg.unwrap(), 0.5, 0.5, 4.0 / 9.0, 4);
    close(m.accuracy.unwrap(), 0.5);
    assert!(m.classes.is_empty() && m.detection.is_none());
}

#[test]
fn class_by_hand_and_confidence_ignored() {
    let c = |s: &str| t(Some(s), None);
    let gold = vec![vec![c("x"), c("y")], vec![c("x")], vec![]];
    let mut pred = vec![vec![c("x")], vec![c("x"), c("y")], vec![c("y")]];
    pred[0][0].confidence = Some(0.99);
    let m = score(ModelType::Class, &gold, &pred).unwrap();
    check(&m.classes["x"], 1.0, 1.0, 1.0, 2);
    check(&m.classes["y"], 0.0, 0.0, 0.0, 1);
    check(&m.micro_avg.unwrap(), 0.5, 2.0 / 3.0, 4.0 / 7.0, 3);
    check(&m.macro_avg.unwrap(), 0.5, 0.5, 0.5, 3);
    assert!(m.accuracy.is_none() && m.labels.is_empty());
}

#[test]
fn perfect_and_empty() {
    let gold = vec![vec![cl("A", "x")], vec![cl("B", "y"), cl("A", "y")]];
    let m = score(ModelType::ClassLabel, &gold, &gold).unwrap();
    check(&m.micro_avg.unwrap(), 1.0, 1.0, 1.0, 3);
    close(m.accuracy.unwrap(), 1.0);
    // Nothing to find and nothing found: zeros, not NaN.
    let m = score(ModelType::Class, &[vec![]], &[vec![]]).unwrap();
    check(&m.micro_avg.unwrap(), 0.0, 0.0, 0.0, 0);
    assert!(m.micro_avg.unwrap().f1.is_finite());
}

#[test]
fn bad_shapes_are_errors() {
    let e = score(ModelType::Absa, &[vec![cl("food", "POS")]], &[]).unwrap_err();
    assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument);
    assert!(e.message().contains("1 gold segments but 0 predicted"), "{e}");
    let e = score(ModelType::Absa, &[vec![t(Some("food"), None)]], &[vec![]]).unwrap_err();
    assert!(e.message().contains("gold tag of segment 0"), "{e}");
    let e = score(ModelType::Class, &[vec![]], &[vec![cl("a", "b")]]).unwrap_err();
    assert!(e.message().contains("predicted tag of segment 0"), "{e}");
}

#[test]
fn apply_fills_meta_and_round_trips() {
    let gold = vec![vec![cl("food", "POS")]];
    let m = score(ModelType::Absa, &gold, &gold).unwrap();
    let json = serde_json::to_value(&m).unwrap();
    assert_eq!(json["detection"]["micro"]["f1"], 1.0);
    assert_eq!(json["micro"]["support"], 1);
    let back: Metrics = serde_json::from_value(json).unwrap();
    assert_eq!(back, m);
}
