//! `opinio train`: a model fine-tuned on labeled data, or a zero-shot one from class
//! definitions.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;
use opinio::labeled::LabeledSet;
use opinio::schema::ModelType;
use opinio::train::{Control, TrainOptions, Trained};
use opinio::{model, Error, Language, Model};

use crate::args::{limits, LabeledArgs};
use crate::write_value;

#[derive(Args)]
pub struct TrainArgs {
    /// The model type: ABSA, CLASS, LABEL or CLASSLABEL.
    #[arg(long = "type")]
    model_type: String,
    /// Labeled data to train on: the Studio's labeled documents, or a flat file.
    #[arg(long)]
    train: Option<PathBuf>,
    /// Labeled data to test on (default: 10% of --train held out, whole documents).
    #[arg(long)]
    test: Option<PathBuf>,
    #[command(flatten)]
    labeled: LabeledArgs,
    /// Class definitions: the seed's class list (JSON) or a CSV with name, description, example.
    #[arg(long)]
    classes: Option<PathBuf>,
    /// The encoder folder to build on (default: the shipped all-MiniLM-L6-v2).
    #[arg(long)]
    base: Option<PathBuf>,
    /// The model's language (en, de, ar).
    #[arg(long, default_value = "en")]
    lang: String,
    /// The model's name (default: the output folder's name).
    #[arg(long)]
    name: Option<String>,
    /// Passes over the training set (with --train; default 4, more for small sets so that
    /// training makes at least 200 steps).
    #[arg(long)]
    epochs: Option<usize>,
    /// Encoder layers kept as they are, from the bottom (with --train; default 0, all
    /// trained): each one frozen trains faster.
    #[arg(long)]
    frozen_layers: Option<usize>,
    /// Whether each class's layers also read the sentence's mean token state (with
    /// --train; true or false, default false).
    #[arg(long)]
    sentence_mean: Option<bool>,
    /// The most a class's present examples weigh in its detection loss, from its ratio of
    /// absent to present sentences, taken back out of the decisions after training (with
    /// --train; default 4; 0: all alike).
    #[arg(long)]
    positive_weight_cap: Option<f32>,
    /// Dropout on the heads' inputs while training (with --train; 0 to 0.5, default 0).
    #[arg(long)]
    head_dropout: Option<f32>,
    /// Seeds shuffling, the held-out split and the heads' initial weights (with --train;
    /// default 42): the same seed gives the same model.
    #[arg(long)]
    seed: Option<u64>,
    /// The model folder to write.
    #[arg(long)]
    out: PathBuf,
}

impl TrainArgs {
    /// Builds the model, saves it to `--out` and writes its metadata to `out`.
    pub fn run(self, out: impl Write) -> Result<(), Error> {
        let model_type: ModelType = self.model_type.parse()?;
        let language: Language = self.lang.parse()?;
        let name = self.name.clone().unwrap_or_else(|| {
            self.out.file_name().map_or("model".into(), |n| n.to_string_lossy().into_owned())
        });
        let mut built = match &self.train {
            Some(train) => {
                let train = self.labeled.read(train, model_type)?;
                let test = self.test.as_ref().map(|t| self.labeled.read(t, model_type)).transpose()?;
                let options = self.options(model_type, name, language);
                train_with_progress(&train, test.as_ref(), &options)?.model
            }
            None => self.zero_shot(model_type, &name, language)?,
        };
        built.save(&self.out)?;
        write_value(out, built.meta())
    }

    /// The defaults, with what the command line set.
    fn options(&self, model_type: ModelType, name: String, language: Language) -> TrainOptions {
        let defaults = TrainOptions::new(model_type);
        TrainOptions {
            base: self.base.clone(),
            name,
            language,
            frozen_layers: self.frozen_layers.unwrap_or(defaults.frozen_layers),
            sentence_mean: self.sentence_mean.unwrap_or(defaults.sentence_mean),
            positive_weight_cap: self.positive_weight_cap.unwrap_or(defaults.positive_weight_cap),
            head_dropout: self.head_dropout.unwrap_or(defaults.head_dropout),
            seed: self.seed.unwrap_or(defaults.seed),
            limits: limits(),
            ..defaults
        }
        .with_epochs(self.epochs)
    }

    /// A zero-shot model from `--classes`.
    fn zero_shot(&self, model_type: ModelType, name: &str, language: Language) -> Result<Model, Error> {
        if self.test.is_some() {
            return Err(Error::invalid_argument("--test needs --train"));
        }
        let Some(classes) = &self.classes else {
            return Err(Error::invalid_argument("pass --classes FILE (zero-shot) or --train FILE"));
        };
        let (class_defs, label_defs) = model::read_definitions(classes)?;
        let base = self.base.clone().unwrap_or_else(opinio::encode::Encoder::default_model_dir);
        let encoder = model::load_encoder(base)?;
        Model::zero_shot(encoder, model_type, name, language, class_defs, label_defs)
    }
}

/// Trains with progress on stderr (a live line on a terminal, else a line every 10 steps) and
/// a summary.
fn train_with_progress(
    train: &LabeledSet,
    test: Option<&LabeledSet>,
    options: &TrainOptions,
) -> Result<Trained, Error> {
    let show = io::stderr().is_terminal();
    let trained = opinio::train::train(train, test, options, |p| {
        let line = format!(
            "training: epoch {}, step {}/{} ({:.0}%), loss {:.4}, {:.0} s",
            p.epoch,
            p.step,
            p.steps,
            p.percent(),
            p.loss,
            p.seconds
        );
        if show {
            eprint!("\r{line}   ");
        } else if p.step % 10 == 0 || p.step == p.steps {
            // Logs of long runs get a line every 10 steps.
            eprintln!("{line}");
        }
        Control::Continue
    })?;
    let m = &trained.metrics;
    let detection = m.detection.map_or(f64::NAN, |d| d.micro.f1);
    eprintln!(
        "\ntrained on {} segments in {:.1} s; on {} held-out segments: detection micro-F1 {detection:.3}, score {:.3}",
        trained.train_size,
        trained.train_seconds,
        trained.eval_size,
        opinio::evaluate::headline(m).unwrap_or(f64::NAN)
    );
    Ok(trained)
}
