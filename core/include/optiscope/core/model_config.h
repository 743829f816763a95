// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Hugging Face config.json for the architectures we run, validated once.
#include "optiscope/core/result.h"

#include <filesystem>
#include <string>
#include <vector>

namespace optiscope::core {

enum class Architecture { Gpt2, Bert, Vit };

// Which head sits on the encoder/decoder; follows the HF "architectures" class name.
enum class ModelHead {
    None,                   // BertModel, ViTModel: last hidden state (+ pooler for BERT)
    LanguageModel,          // GPT2LMHeadModel (tied to wte)
    MaskedLm,               // BertForMaskedLM
    SequenceClassification, // BertForSequenceClassification
    ImageClassification     // ViTForImageClassification
};

enum class Activation { GeluExact, GeluTanh, Relu };

struct ModelConfig {
    Architecture architecture = Architecture::Gpt2;
    ModelHead head = ModelHead::None;
    std::string className; // e.g. "GPT2LMHeadModel"
    int layers = 0;
    int hidden = 0;
    int heads = 0;
    int intermediate = 0;   // FFN width
    int vocabSize = 0;      // 0 for ViT
    int maxPositions = 0;   // text models; ViT: patches + 1
    int typeVocabSize = 0;  // BERT token types
    double layerNormEps = 1e-5;
    Activation activation = Activation::GeluExact;
    bool preLayerNorm = false; // GPT-2 and ViT: true; BERT: false
    // HF tie_word_embeddings (default true): the LM / MLM decoder is the word embedding matrix,
    // even when the file also stores a decoder weight.
    bool tieWordEmbeddings = true;
    // ViT
    int imageSize = 0;
    int patchSize = 0;
    int channels = 0;
    // classification heads
    int numLabels = 0;
    std::vector<std::string> labels; // id2label, numLabels entries when given
    // special tokens (-1 if absent)
    int padTokenId = -1;
    int bosTokenId = -1;
    int eosTokenId = -1;

    int headDim() const { return heads > 0 ? hidden / heads : 0; }
};

// Parses and validates config.json; errors name the file and the field.
Result<ModelConfig> loadModelConfig(const std::filesystem::path& configJson);
Result<ModelConfig> parseModelConfig(const std::string& json, const std::string& fileNameForErrors);

const char* architectureName(Architecture architecture); // "gpt2", "bert", "vit"

} // namespace optiscope::core
